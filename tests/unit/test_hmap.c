/* Unit tests of the hash map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/hmap.h"

static void test_put_get_del(void **state)
{
    (void)state;
    struct hmap m;
    hmap_init(&m);
    static int vals[5000];
    char key[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        hmap_put(&m, key, strlen(key), &vals[i]);
    }
    assert_int_equal(m.n, 5000);
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_ptr_equal(hmap_get(&m, key, strlen(key)), &vals[i]);
    }
    assert_null(hmap_get(&m, "nope", 4));
    hmap_put(&m, "k1", 2, &vals[7]);
    assert_ptr_equal(hmap_get(&m, "k1", 2), &vals[7]);
    assert_int_equal(m.n, 5000);
    for (int i = 0; i < 5000; i += 2) {
        snprintf(key, sizeof key, "k%d", i);
        assert_non_null(hmap_del(&m, key, strlen(key)));
    }
    assert_int_equal(m.n, 2500);
    assert_null(hmap_get(&m, "k0", 2));
    assert_ptr_equal(hmap_get(&m, "k3", 2), &vals[3]);
    assert_null(hmap_del(&m, "k0", 2));
    /* binary keys with NULs and the empty key */
    hmap_put(&m, "a\0b", 3, &vals[1]);
    hmap_put(&m, "", 0, &vals[2]);
    assert_ptr_equal(hmap_get(&m, "a\0b", 3), &vals[1]);
    assert_null(hmap_get(&m, "a\0c", 3));
    assert_ptr_equal(hmap_get(&m, "", 0), &vals[2]);
    hmap_free(&m);
    hmap_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_put_get_del)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
