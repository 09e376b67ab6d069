/* Unit tests for signaling/query: query_get(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "signaling/query.h"

/* Asserts query_get(q, name) equals `want` (NULL: absent). */
static void expect(const char *q, const char *name, const char *want)
{
    char *v = query_get(q, name);
    if (!want) {
        assert_null(v);
        return;
    }
    assert_non_null(v);
    assert_string_equal(v, want);
    free(v);
}

static void test_basic(void **state)
{
    (void)state;
    expect("a=1&b=2", "a", "1");
    expect("a=1&b=2", "b", "2");
    expect("?a=1&b=2", "a", "1");
    expect("a=1&b=2", "c", NULL);
    expect("", "a", NULL);
    expect("?", "a", NULL);
    expect(NULL, "a", NULL);
    expect("a=1", NULL, NULL);
}

static void test_prefix_and_order(void **state)
{
    (void)state;
    expect("ab=1&a=2", "a", "2");
    expect("a=1&a=2", "a", "1");           /* first wins */
    expect("sid=x&reconnect=1", "id", NULL);
    expect("xa=1", "a", NULL);
    expect("a==b", "a", "=b");
}

static void test_empty_values(void **state)
{
    (void)state;
    expect("a&b=1", "a", "");
    expect("a=&b=1", "a", "");
    expect("b=1&a", "a", "");
    expect("&&a=1&&", "a", "1");
    expect("=1&a=2", "", "1");
    expect("a=1", "", NULL);
}

static void test_decoding(void **state)
{
    (void)state;
    expect("m=My%20Phone+X", "m", "My Phone X");
    expect("p=YWJj%3D%3d", "p", "YWJj==");
    expect("c=A%2CB", "c", "A,B");
    expect("u=%C3%A9", "u", "\xc3\xa9");
    expect("a%5Fb=1", "a_b", "1");           /* key decoded too */
    expect("a+b=1", "a b", "1");
    expect("x=%2B", "x", "+");
}

static void test_malformed(void **state)
{
    (void)state;
    expect("a=%G1", "a", NULL);
    expect("a=%4", "a", NULL);
    expect("a=%", "a", NULL);
    expect("a=x%", "a", NULL);
    expect("a=%00", "a", NULL);               /* NUL never returned */
    expect("a=%zz&a=ok", "a", "ok");          /* bad pair skipped */
    expect("%ZZ=1&a=2", "a", "2");
    expect("a%=1&a=2", "a", "2");
}

static void test_nth(void **state)
{
    (void)state;
    const char *q = "room=a&x=1&room=%zz&room=b&room";
    char *v = query_get_nth(q, "room", 0);
    assert_string_equal(v, "a");
    free(v);
    v = query_get_nth(q, "room", 1); /* the malformed one is not counted */
    assert_string_equal(v, "b");
    free(v);
    v = query_get_nth(q, "room", 2);
    assert_string_equal(v, "");
    free(v);
    assert_null(query_get_nth(q, "room", 3));
    assert_null(query_get_nth(q, "x", 1));
    assert_null(query_get_nth(NULL, "x", 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_prefix_and_order),
        cmocka_unit_test(test_empty_values),
        cmocka_unit_test(test_decoding),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_nth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
