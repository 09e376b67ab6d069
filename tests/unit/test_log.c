/* Unit tests for common/log.c: text and JSON line formats, levels, escaping.
 * stderr is redirected to a temporary file around each emitted line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/test_helpers.h"
#include <jansson.h>

#include "common/log.h"

static int no_journal(void **state)
{
    (void)state;
    unsetenv("JOURNAL_STREAM");
    return 0;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* RFC 3339 UTC with milliseconds: 2026-01-02T03:04:05.678Z */
static void assert_rfc3339(const char *ts)
{
    assert_int_equal(strlen(ts), 24);
    const char *shape = "dddd-dd-ddTdd:dd:dd.dddZ";
    for (size_t i = 0; shape[i]; i++) {
        if (shape[i] == 'd')
            assert_true(ts[i] >= '0' && ts[i] <= '9');
        else
            assert_int_equal(ts[i], shape[i]);
    }
}

static void test_text_line(void **state)
{
    (void)state;
    log_configure(LOG_LVL_INFO, false);
    capture_begin();
    LOGI("room", "participant left", "room=%s identity=%s reason=%d", "r1", "alice", 9);
    char *out = capture_end();
    assert_int_equal(count_lines(out), 1);
    assert_true(!strncmp(out, "ts=", 3));
    char ts[32] = "";
    sscanf(out, "ts=%31s", ts);
    assert_rfc3339(ts);
    const char *rest = strchr(out, ' ') + 1;
    assert_string_equal(rest, "level=info mod=room msg=\"participant left\" room=r1 identity=alice reason=9\n");
    free(out);
}

static void test_levels(void **state)
{
    (void)state;
    log_configure(LOG_LVL_WARN, false);
    capture_begin();
    LOGD("m", "debug line", NULL);
    LOGI("m", "info line", NULL);
    LOGW("m", "warn line", NULL);
    LOGE("m", "error line", "code=%d", -5);
    char *out = capture_end();
    assert_int_equal(count_lines(out), 2);
    assert_null(strstr(out, "debug line"));
    assert_null(strstr(out, "info line"));
    assert_non_null(strstr(out, "level=warn mod=m msg=\"warn line\"\n"));
    assert_non_null(strstr(out, "level=error mod=m msg=\"error line\" code=-5\n"));
    free(out);
    log_configure(LOG_LVL_OFF, false);
    capture_begin();
    LOGE("m", "nothing", NULL);
    out = capture_end();
    assert_string_equal(out, "");
    free(out);
    assert_int_equal(log_level_parse("WARNING"), LOG_LVL_WARN);
    assert_int_equal(log_level_parse("debug"), LOG_LVL_DEBUG);
    assert_int_equal(log_level_parse("loud"), -1);
    assert_int_equal(log_level_parse(NULL), -1);
}

static void test_text_one_line(void **state)
{
    (void)state;
    log_configure(LOG_LVL_DEBUG, false);
    capture_begin();
    LOGW("dtls", "failed", "detail=\"%s\"", "two\nlines\x01");
    char *out = capture_end();
    assert_int_equal(count_lines(out), 1);
    assert_non_null(strstr(out, "detail=\"two\\nlines\\x01\"\n"));
    free(out);
}

static json_t *emit_json(const char *mod, const char *msg, const char *fields_text)
{
    capture_begin();
    LOGI(mod, msg, "%s", fields_text);
    char *out = capture_end();
    assert_int_equal(count_lines(out), 1);
    json_error_t jerr;
    json_t *j = json_loads(out, 0, &jerr);
    if (!j)
        fail_msg("not JSON: %s (%s)", out, jerr.text);
    free(out);
    return j;
}

static void test_json_fields(void **state)
{
    (void)state;
    log_configure(LOG_LVL_DEBUG, true);
    json_t *j = emit_json("front", "join refused",
                          "path=/rtc status=401 reason=\"invalid token: \\\"x\\\" bad\" n=-3 z=007");
    assert_rfc3339(json_string_value(json_object_get(j, "ts")));
    assert_string_equal(json_string_value(json_object_get(j, "level")), "info");
    assert_string_equal(json_string_value(json_object_get(j, "mod")), "front");
    assert_string_equal(json_string_value(json_object_get(j, "msg")), "join refused");
    assert_string_equal(json_string_value(json_object_get(j, "path")), "/rtc");
    assert_true(json_is_integer(json_object_get(j, "status")));
    assert_int_equal(json_integer_value(json_object_get(j, "status")), 401);
    assert_int_equal(json_integer_value(json_object_get(j, "n")), -3);
    assert_string_equal(json_string_value(json_object_get(j, "z")), "007");
    assert_string_equal(json_string_value(json_object_get(j, "reason")), "invalid token: \\\"x\\\" bad");
    assert_null(json_object_get(j, "fields"));
    json_decref(j);

    /* a field named like a fixed member does not replace it */
    j = emit_json("main", "reloaded", "level=debug msg=x");
    assert_string_equal(json_string_value(json_object_get(j, "level")), "info");
    assert_string_equal(json_string_value(json_object_get(j, "field_level")), "debug");
    assert_string_equal(json_string_value(json_object_get(j, "field_msg")), "x");
    json_decref(j);

    /* quoted values may hold spaces and quotes; control characters are escaped */
    j = emit_json("m", "tab\there", "a=\"x y\" b=\"q\"z\" c=\"line\nbreak\"");
    assert_string_equal(json_string_value(json_object_get(j, "msg")), "tab\there");
    assert_string_equal(json_string_value(json_object_get(j, "a")), "x y");
    assert_string_equal(json_string_value(json_object_get(j, "b")), "q\"z");
    assert_string_equal(json_string_value(json_object_get(j, "c")), "line\nbreak");
    json_decref(j);
}

static void test_json_fallback(void **state)
{
    (void)state;
    log_configure(LOG_LVL_DEBUG, true);
    const char *odd[] = {"not key value", "k=\"unterminated", "=v", "k=v junk"};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        json_t *j = emit_json("m", "odd", odd[i]);
        assert_string_equal(json_string_value(json_object_get(j, "fields")), odd[i]);
        json_decref(j);
    }
    capture_begin();
    LOGI("m", "no fields", NULL);
    char *out = capture_end();
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_object_size(j), 4);
    json_decref(j);
    free(out);
}

static void test_journal_has_no_timestamps(void **state)
{
    (void)state;
    setenv("JOURNAL_STREAM", "8:1234", 1);
    log_configure(LOG_LVL_INFO, false);
    capture_begin();
    LOGI("m", "hello", "k=v");
    char *out = capture_end();
    assert_string_equal(out, "level=info mod=m msg=\"hello\" k=v\n");
    free(out);
    log_configure(LOG_LVL_INFO, true);
    capture_begin();
    LOGI("m", "hello", "k=v");
    out = capture_end();
    assert_string_equal(out, "{\"level\":\"info\",\"mod\":\"m\",\"msg\":\"hello\",\"k\":\"v\"}\n");
    free(out);
    unsetenv("JOURNAL_STREAM");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_text_line, no_journal),
        cmocka_unit_test_setup(test_levels, no_journal),
        cmocka_unit_test_setup(test_text_one_line, no_journal),
        cmocka_unit_test_setup(test_json_fields, no_journal),
        cmocka_unit_test_setup(test_json_fallback, no_journal),
        cmocka_unit_test_setup(test_journal_has_no_timestamps, no_journal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
