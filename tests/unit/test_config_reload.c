/* Unit tests for config_reload (SIGHUP) and the shutdown.drain_timeout key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/err.h"
#include "common/log.h"
#include "config/config.h"

#define ERRLEN 256

static int quiet(void **state)
{
    (void)state;
    const char *vars[] = {"LIVEKIT_CONFIG", "LIVEKIT_KEYS", "NODE_IP", "UDP_PORT", "LIVEKIT_REGION"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    log_configure(LOG_LVL_OFF, false);
    return 0;
}

static void rewrite(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

static void test_drain_timeout(void **state)
{
    (void)state;
    struct config c;
    char err[ERRLEN];
    char *argv1[] = {"dcsfu", "--dev", NULL};
    assert_int_equal(config_setup(&c, 2, argv1, NULL, err, ERRLEN), 0);
    assert_int_equal(c.shutdown.drain_timeout, 30);
    config_free(&c);
    char *argv2[] = {"dcsfu", "--dev", "--config-body", "shutdown:\n  drain_timeout: 5\n", NULL};
    assert_int_equal(config_setup(&c, 4, argv2, NULL, err, ERRLEN), 0);
    assert_int_equal(c.shutdown.drain_timeout, 5);
    config_free(&c);
    char *argv3[] = {"dcsfu", "--dev", "--config-body", "shutdown: {drain_timeout: 5}", "--drain-timeout", "0",
                     NULL};
    assert_int_equal(config_setup(&c, 6, argv3, NULL, err, ERRLEN), 0);
    assert_int_equal(c.shutdown.drain_timeout, 0);
    config_free(&c);
    char *argv4[] = {"dcsfu", "--dev", "--drain-timeout=soon", NULL};
    assert_int_equal(config_setup(&c, 3, argv4, NULL, err, ERRLEN), DC_ECONFIG);
    assert_string_equal(err, "--drain-timeout: expected a number of seconds, got \"soon\"");
    char *argv5[] = {"dcsfu", "--dev", "--config-body", "shutdown:\n  drain_timeout: -1\n", NULL};
    assert_int_equal(config_setup(&c, 4, argv5, NULL, err, ERRLEN), DC_ECONFIG);
    assert_non_null(strstr(err, "shutdown.drain_timeout: expected an integer"));
}

static void test_reload(void **state)
{
    (void)state;
    char dir[] = "/tmp/dcsfu-test-reload-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char conf[128], keys[128];
    snprintf(conf, sizeof conf, "%s/livekit.yaml", dir);
    snprintf(keys, sizeof keys, "%s/keys.yaml", dir);
    rewrite(conf, "port: 7001\nkeys:\n  A: secret-a\nlogging:\n  level: warn\n", 0644);
    char *argv[] = {"dcsfu", "--config", conf, NULL};
    struct config c;
    char err[ERRLEN];
    assert_int_equal(config_setup(&c, 3, argv, NULL, err, ERRLEN), 0);
    assert_string_equal(config_secret_for(&c, "A"), "secret-a");
    assert_int_equal(c.logging.level, LOG_LVL_WARN);

    /* new keys and level; the port is not reloaded */
    rewrite(conf, "port: 7002\nkeys:\n  B: secret-b\nlogging:\n  level: debug\n  json: true\n", 0644);
    assert_int_equal(config_reload(&c, 3, argv, err, ERRLEN), 0);
    assert_null(config_secret_for(&c, "A"));
    assert_string_equal(config_secret_for(&c, "B"), "secret-b");
    assert_int_equal(c.logging.level, LOG_LVL_DEBUG);
    assert_true(c.logging.json);
    assert_int_equal(c.port, 7001);
    assert_string_equal(c.config_path, conf);

    /* a broken file changes nothing */
    rewrite(conf, "keys: [oops\n", 0644);
    assert_int_equal(config_reload(&c, 3, argv, err, ERRLEN), DC_ECONFIG);
    assert_non_null(strstr(err, "invalid YAML"));
    assert_string_equal(config_secret_for(&c, "B"), "secret-b");
    assert_int_equal(c.logging.level, LOG_LVL_DEBUG);

    /* key_file: reloaded too, and its mode is checked again */
    rewrite(keys, "C: secret-c\n", 0600);
    char text[256];
    snprintf(text, sizeof text, "key_file: %s\n", keys);
    rewrite(conf, text, 0644);
    assert_int_equal(config_reload(&c, 3, argv, err, ERRLEN), 0);
    assert_string_equal(c.key_file, keys);
    assert_string_equal(config_secret_for(&c, "C"), "secret-c");
    assert_null(config_secret_for(&c, "B"));
    assert_int_equal(c.logging.level, LOG_LVL_INFO);
    rewrite(keys, "D: secret-d\n", 0644);
    assert_int_equal(config_reload(&c, 3, argv, err, ERRLEN), DC_ECONFIG);
    assert_non_null(strstr(err, "permissions"));
    assert_string_equal(config_secret_for(&c, "C"), "secret-c");
    /* no keys at all is refused as at start-up */
    rewrite(conf, "port: 7001\n", 0644);
    assert_int_equal(config_reload(&c, 3, argv, err, ERRLEN), DC_ECONFIG);
    assert_string_equal(config_secret_for(&c, "C"), "secret-c");
    config_free(&c);
    unlink(conf);
    unlink(keys);
    rmdir(dir);
}

static void test_reload_tls(void **state)
{
    (void)state;
    char dir[] = "/tmp/dcsfu-test-reload-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char conf[128], cert[128], key[128], text[512];
    snprintf(conf, sizeof conf, "%s/livekit.yaml", dir);
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    rewrite(cert, "-----BEGIN CERTIFICATE-----\nONE\n-----END CERTIFICATE-----\n", 0644);
    rewrite(key, "-----BEGIN PRIVATE KEY-----\nONE\n-----END PRIVATE KEY-----\n", 0600);
    snprintf(text, sizeof text, "keys:\n  A: secret-a\ntls:\n  cert_file: %s\n  key_file: %s\n", cert, key);
    rewrite(conf, text, 0644);
    char *argv[] = {"dcsfu", "--config", conf, NULL};
    struct config c;
    char err[ERRLEN];
    assert_int_equal(config_setup(&c, 3, argv, NULL, err, ERRLEN), 0);
    assert_non_null(strstr(c.tls.cert_pem, "ONE"));
    /* the files' new contents come in with the reload */
    rewrite(cert, "-----BEGIN CERTIFICATE-----\nTWO\n-----END CERTIFICATE-----\n", 0644);
    rewrite(key, "-----BEGIN PRIVATE KEY-----\nTWO\n-----END PRIVATE KEY-----\n", 0600);
    assert_int_equal(config_reload(&c, 3, argv, err, ERRLEN), 0);
    assert_non_null(strstr(c.tls.cert_pem, "TWO"));
    assert_non_null(strstr(c.tls.key_pem, "TWO"));
    assert_string_equal(c.tls.cert_file, cert);
    /* an unreadable key keeps the old contents */
    rewrite(key, "-----BEGIN PRIVATE KEY-----\nTHREE\n-----END PRIVATE KEY-----\n", 0604);
    assert_int_equal(config_reload(&c, 3, argv, err, ERRLEN), DC_ECONFIG);
    assert_non_null(strstr(err, "tls.key_file"));
    assert_non_null(strstr(c.tls.key_pem, "TWO"));
    config_free(&c);
    unlink(conf);
    unlink(cert);
    unlink(key);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_drain_timeout, quiet),
        cmocka_unit_test_setup(test_reload, quiet),
        cmocka_unit_test_setup(test_reload_tls, quiet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
