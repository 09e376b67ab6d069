/* Unit tests for server/metrics: registry and Prometheus text rendering. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "server/metrics.h"

static void expect_render(struct metrics *m, const char *want)
{
    size_t len;
    char *text = metrics_render(m, &len);
    assert_non_null(text);
    assert_int_equal(len, strlen(text));
    assert_string_equal(text, want);
    free(text);
}

static void test_counter_and_gauge(void **state)
{
    (void)state;
    struct metrics *m = metrics_new();
    assert_int_equal(metrics_family(m, "a_total", "Things counted.", METRIC_COUNTER), 0);
    const char *l1[] = {"kind", "reliable"};
    const char *l2[] = {"kind", "lossy", "dir", "in"};
    assert_int_equal(metrics_sample(m, l1, 1, 12), 0);
    assert_int_equal(metrics_sample(m, l2, 2, 3), 0);
    assert_int_equal(metrics_family(m, "g", "", METRIC_GAUGE), 0);
    assert_int_equal(metrics_sample(m, NULL, 0, -2.5), 0);
    expect_render(m, "# HELP a_total Things counted.\n"
                     "# TYPE a_total counter\n"
                     "a_total{kind=\"reliable\"} 12\n"
                     "a_total{kind=\"lossy\",dir=\"in\"} 3\n"
                     "# HELP g \n"
                     "# TYPE g gauge\n"
                     "g -2.5\n");
    metrics_free(m);
}

static void test_escaping(void **state)
{
    (void)state;
    struct metrics *m = metrics_new();
    assert_int_equal(metrics_family(m, "x:y", "back\\slash\nnew \"q\"", METRIC_GAUGE), 0);
    const char *l[] = {"v", "a\\b\"c\nd"};
    assert_int_equal(metrics_sample(m, l, 1, 1), 0);
    expect_render(m, "# HELP x:y back\\\\slash\\nnew \"q\"\n"
                     "# TYPE x:y gauge\n"
                     "x:y{v=\"a\\\\b\\\"c\\nd\"} 1\n");
    metrics_free(m);
}

static void test_numbers(void **state)
{
    (void)state;
    char b[40];
    metrics_format_value(0, b, sizeof b);
    assert_string_equal(b, "0");
    metrics_format_value(18446744073709551615.0, b, sizeof b);
    assert_true(strtod(b, NULL) == 18446744073709551615.0);
    metrics_format_value(0.1, b, sizeof b);
    assert_string_equal(b, "0.1");
    metrics_format_value(1.0 / 3, b, sizeof b);
    assert_true(strtod(b, NULL) == 1.0 / 3);
    metrics_format_value(2.5e-5, b, sizeof b);
    assert_true(strtod(b, NULL) == 2.5e-5);
    metrics_format_value(NAN, b, sizeof b);
    assert_string_equal(b, "NaN");
    metrics_format_value(INFINITY, b, sizeof b);
    assert_string_equal(b, "+Inf");
    metrics_format_value(-INFINITY, b, sizeof b);
    assert_string_equal(b, "-Inf");
    metrics_format_value(123456789, b, sizeof b);
    assert_string_equal(b, "123456789");
}

static void test_histogram(void **state)
{
    (void)state;
    struct metrics_hist h;
    const double bounds[] = {0.001, 0.01, 0.1};
    assert_int_equal(metrics_hist_init(&h, bounds, 3), 0);
    metrics_hist_observe(&h, 0.0005);
    metrics_hist_observe(&h, 0.001); /* le is inclusive */
    metrics_hist_observe(&h, 0.05);
    metrics_hist_observe(&h, 2);
    struct metrics *m = metrics_new();
    assert_int_equal(metrics_family(m, "lat_seconds", "Latency.", METRIC_HISTOGRAM), 0);
    assert_int_equal(metrics_histogram(m, NULL, 0, &h), 0);
    const char *l[] = {"kind", "lossy"};
    struct metrics_hist empty;
    assert_int_equal(metrics_hist_init(&empty, bounds, 1), 0);
    assert_int_equal(metrics_histogram(m, l, 1, &empty), 0);
    expect_render(m, "# HELP lat_seconds Latency.\n"
                     "# TYPE lat_seconds histogram\n"
                     "lat_seconds_bucket{le=\"0.001\"} 2\n"
                     "lat_seconds_bucket{le=\"0.01\"} 2\n"
                     "lat_seconds_bucket{le=\"0.1\"} 3\n"
                     "lat_seconds_bucket{le=\"+Inf\"} 4\n"
                     "lat_seconds_sum 2.0515\n"
                     "lat_seconds_count 4\n"
                     "lat_seconds_bucket{kind=\"lossy\",le=\"0.001\"} 0\n"
                     "lat_seconds_bucket{kind=\"lossy\",le=\"+Inf\"} 0\n"
                     "lat_seconds_sum{kind=\"lossy\"} 0\n"
                     "lat_seconds_count{kind=\"lossy\"} 0\n");
    metrics_free(m);
}

static void test_invalid(void **state)
{
    (void)state;
    struct metrics_hist h;
    const double bad[] = {1, 1};
    assert_int_equal(metrics_hist_init(&h, bad, 2), DC_EINVAL);
    const double inf[] = {INFINITY};
    assert_int_equal(metrics_hist_init(&h, inf, 1), DC_EINVAL);
    struct metrics *m = metrics_new();
    assert_int_equal(metrics_sample(m, NULL, 0, 1), DC_EINVAL); /* no family yet */
    assert_int_equal(metrics_family(m, "1abc", "", METRIC_GAUGE), DC_EINVAL);
    assert_int_equal(metrics_family(m, "a-b", "", METRIC_GAUGE), DC_EINVAL);
    assert_int_equal(metrics_family(m, "", "", METRIC_GAUGE), DC_EINVAL);
    assert_int_equal(metrics_family(m, "ok", "", METRIC_GAUGE), 0);
    assert_int_equal(metrics_family(m, "ok", "", METRIC_GAUGE), DC_EINVAL);
    const char *colon[] = {"a:b", "v"};
    const char *reserved[] = {"__x", "v"};
    const char *nullv[] = {"a", NULL};
    assert_int_equal(metrics_sample(m, colon, 1, 1), DC_EINVAL);
    assert_int_equal(metrics_sample(m, reserved, 1, 1), DC_EINVAL);
    assert_int_equal(metrics_sample(m, nullv, 1, 1), DC_EINVAL);
    assert_int_equal(metrics_sample(m, colon, METRICS_MAX_LABELS + 1, 1), DC_EINVAL);
    assert_int_equal(metrics_hist_init(&h, NULL, 0), 0);
    assert_int_equal(metrics_histogram(m, NULL, 0, &h), DC_EINVAL); /* gauge family */
    assert_int_equal(metrics_family(m, "h", "", METRIC_HISTOGRAM), 0);
    assert_int_equal(metrics_sample(m, NULL, 0, 1), DC_EINVAL);
    const char *le[] = {"le", "1"};
    assert_int_equal(metrics_histogram(m, le, 1, &h), DC_EINVAL);
    assert_int_equal(metrics_histogram(m, NULL, 0, &h), 0);
    expect_render(m, "# HELP ok \n# TYPE ok gauge\n"
                     "# HELP h \n# TYPE h histogram\n"
                     "h_bucket{le=\"+Inf\"} 0\nh_sum 0\nh_count 0\n");
    metrics_free(m);
}

static void test_many_families(void **state)
{
    (void)state;
    struct metrics *m = metrics_new();
    char name[32];
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "m%d", i);
        assert_int_equal(metrics_family(m, name, "h", METRIC_COUNTER), 0);
        for (int j = 0; j < 10; j++)
            assert_int_equal(metrics_sample(m, NULL, 0, j), 0);
    }
    size_t len;
    char *text = metrics_render(m, &len);
    assert_non_null(strstr(text, "# TYPE m99 counter\nm99 0\n"));
    free(text);
    metrics_free(m);
    m = metrics_new();
    text = metrics_render(m, &len);
    assert_int_equal(len, 0);
    assert_string_equal(text, "");
    free(text);
    metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_and_gauge),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_many_families),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
