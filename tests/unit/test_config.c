/* Unit tests for config/: defaults, livekit.yaml keys, errors, CLI, env, key files. */
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

#include "tests/unit/test_helpers.h"

#include "common/err.h"
#include "common/log.h"
#include "config/config.h"

#define ERRLEN 256

static const char *const env_vars[] = {"LIVEKIT_CONFIG", "LIVEKIT_KEYS", "NODE_IP", "UDP_PORT", "LIVEKIT_REGION"};

static int clear_env(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof env_vars / sizeof env_vars[0]; i++)
        unsetenv(env_vars[i]);
    return 0;
}

/* --- helpers --- */

static int apply(struct config *c, const char *yaml, char *err)
{
    err[0] = '\0';
    return config_apply_yaml(c, yaml, strlen(yaml), "livekit.yaml", err, ERRLEN);
}

/* Runs config_setup on a NULL-terminated argument list (argv[0] added). */
static int setup_args(struct config *c, enum config_action *action, char *err, ...)
{
    char *argv[32] = {"dcsfu"};
    int argc = 1;
    va_list ap;
    va_start(ap, err);
    for (char *a; (a = va_arg(ap, char *)) != NULL && argc < 31;)
        argv[argc++] = a;
    va_end(ap);
    return config_setup(c, argc, argv, action, err, ERRLEN);
}

/* Writes text to a new temporary file with the given mode; returns its path (static buffer). */
static const char *temp_file(const char *text, mode_t mode)
{
    static char path[64];
    strcpy(path, "/tmp/dcsfu-test-config-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
    return path;
}

/* --- tests --- */

static void test_defaults(void **state)
{
    (void)state;
    struct config c;
    config_defaults(&c);
    assert_int_equal(c.port, 7880);
    assert_int_equal(c.n_bind_addresses, 0);
    assert_int_equal(c.n_keys, 0);
    assert_null(c.key_file);
    assert_false(c.development);
    assert_int_equal(c.rtc.udp_port, 7882);
    assert_int_equal(c.rtc.tcp_port, 7881);
    assert_null(c.rtc.node_ip);
    assert_int_equal(c.rtc.sctp, CONFIG_SCTP_NATIVE);
    assert_true(c.room.auto_create);
    assert_int_equal(c.room.empty_timeout, 300);
    assert_int_equal(c.room.departure_timeout, 20);
    assert_int_equal(c.room.max_participants, 0);
    assert_int_equal(c.limit.max_metadata_size, 524288);
    assert_int_equal(c.limit.max_attributes_size, 65536);
    assert_int_equal(c.limit.max_room_name_length, 256);
    assert_int_equal(c.limit.max_participant_identity_length, 256);
    assert_int_equal(c.limit.max_participant_name_length, 256);
    assert_int_equal(c.limit.signal_message_size_limit, 2097152);
    assert_int_equal(c.limit.max_api_request_body_size, 10485760);
    assert_int_equal(c.limit.max_http_header_size, 16384);
    assert_int_equal(c.limit.max_rooms, 4096);
    assert_int_equal(c.limit.max_signal_connections, 4096);
    assert_int_equal(c.limit.max_connections_per_ip_per_second, 100);
    assert_int_equal(c.rtc.max_pending_handshakes, 256);
    assert_int_equal(c.limit.max_data_queue_messages, 1024);
    assert_true(c.limit.max_data_queue_bytes == 4194304);
    assert_int_equal(c.limit.data_queue_full_action, CONFIG_QUEUE_FULL_RECONNECT);
    assert_int_equal(c.logging.level, LOG_LVL_INFO);
    assert_false(c.logging.json);
    assert_null(c.webhook.api_key);
    assert_int_equal(c.webhook.n_urls, 0);
    assert_int_equal(c.prometheus_port, 0);
    assert_string_equal(c.region, "");
    assert_null(c.config_path);
    config_free(&c);
    config_free(&c); /* twice is fine */
}

static const char every_key[] =
    "port: 8080\n"
    "bind_addresses:\n"
    "  - 127.0.0.1\n"
    "  - \"::1\"\n"
    "keys:\n"
    "  key1: secret1\n"
    "  key2: 'secret two'\n"
    "key_file: /etc/keys.yaml\n"
    "development: true\n"
    "rtc:\n"
    "  udp_port: 9000\n"
    "  tcp_port: 9001\n"
    "  node_ip: 10.1.2.3\n"
    "  sctp: usrsctp\n"
    "  max_pending_handshakes: 7\n"
    "room:\n"
    "  auto_create: false\n"
    "  empty_timeout: 60\n"
    "  departure_timeout: 5\n"
    "  max_participants: 10\n"
    "limit:\n"
    "  max_metadata_size: 1000\n"
    "  max_attributes_size: 2000\n"
    "  max_room_name_length: 30\n"
    "  max_participant_identity_length: 40\n"
    "  max_participant_name_length: 50\n"
    "  signal_message_size_limit: 5000000000\n"
    "  max_api_request_body_size: 6000000000\n"
    "  max_http_header_size: 8192\n"
    "  max_rooms: 11\n"
    "  max_signal_connections: 12\n"
    "  max_connections_per_ip_per_second: 0\n"
    "  max_data_queue_messages: 64\n"
    "  max_data_queue_bytes: 65536\n"
    "  data_queue_full_action: drop\n"
    "logging:\n"
    "  level: warn\n"
    "  json: true\n"
    "webhook:\n"
    "  api_key: key1\n"
    "  urls:\n"
    "    - http://127.0.0.1:9999/hook\n"
    "    - https://example.com/hook\n"
    "prometheus:\n"
    "  port: 6789\n"
    "region: eu-west\n";

static void test_every_key(void **state)
{
    (void)state;
    struct config c;
    char err[ERRLEN];
    config_defaults(&c);
    assert_int_equal(apply(&c, every_key, err), 0);
    assert_int_equal(c.port, 8080);
    assert_int_equal(c.n_bind_addresses, 2);
    assert_string_equal(c.bind_addresses[0], "127.0.0.1");
    assert_string_equal(c.bind_addresses[1], "::1");
    assert_int_equal(c.n_keys, 2);
    assert_string_equal(config_secret_for(&c, "key1"), "secret1");
    assert_string_equal(config_secret_for(&c, "key2"), "secret two");
    assert_null(config_secret_for(&c, "key3"));
    assert_null(config_secret_for(&c, NULL));
    assert_string_equal(c.key_file, "/etc/keys.yaml");
    assert_true(c.development);
    assert_int_equal(c.rtc.udp_port, 9000);
    assert_int_equal(c.rtc.tcp_port, 9001);
    assert_string_equal(c.rtc.node_ip, "10.1.2.3");
    assert_int_equal(c.rtc.sctp, CONFIG_SCTP_USRSCTP);
    assert_false(c.room.auto_create);
    assert_int_equal(c.room.empty_timeout, 60);
    assert_int_equal(c.room.departure_timeout, 5);
    assert_int_equal(c.room.max_participants, 10);
    assert_int_equal(c.limit.max_metadata_size, 1000);
    assert_int_equal(c.limit.max_attributes_size, 2000);
    assert_int_equal(c.limit.max_room_name_length, 30);
    assert_int_equal(c.limit.max_participant_identity_length, 40);
    assert_int_equal(c.limit.max_participant_name_length, 50);
    assert_true(c.limit.signal_message_size_limit == 5000000000ull);
    assert_true(c.limit.max_api_request_body_size == 6000000000ull);
    assert_int_equal(c.limit.max_http_header_size, 8192);
    assert_int_equal(c.limit.max_rooms, 11);
    assert_int_equal(c.limit.max_signal_connections, 12);
    assert_int_equal(c.limit.max_connections_per_ip_per_second, 0);
    assert_int_equal(c.rtc.max_pending_handshakes, 7);
    assert_int_equal(c.limit.max_data_queue_messages, 64);
    assert_true(c.limit.max_data_queue_bytes == 65536);
    assert_int_equal(c.limit.data_queue_full_action, CONFIG_QUEUE_FULL_DROP);
    assert_int_equal(c.logging.level, LOG_LVL_WARN);
    assert_true(c.logging.json);
    assert_string_equal(c.webhook.api_key, "key1");
    assert_int_equal(c.webhook.n_urls, 2);
    assert_string_equal(c.webhook.urls[0], "http://127.0.0.1:9999/hook");
    assert_string_equal(c.webhook.urls[1], "https://example.com/hook");
    assert_int_equal(c.prometheus_port, 6789);
    assert_string_equal(c.region, "eu-west");
    config_free(&c);
}

static void test_nested_and_partial(void **state)
{
    (void)state;
    struct config c;
    char err[ERRLEN];
    config_defaults(&c);
    /* flow style, partial sections, deprecated spellings, nulls keep defaults */
    assert_int_equal(apply(&c,
                           "rtc: {udp_port: 7000}\n"
                           "room: {max_participants: 3}\n"
                           "limit:\n"
                           "webhook: ~\n"
                           "log_level: error\n"
                           "prometheus_port: 9100\n"
                           "region:\n",
                           err),
                     0);
    assert_int_equal(c.rtc.udp_port, 7000);
    assert_int_equal(c.rtc.tcp_port, 7881);
    assert_int_equal(c.room.max_participants, 3);
    assert_int_equal(c.room.empty_timeout, 300);
    assert_int_equal(c.limit.max_metadata_size, 524288);
    assert_int_equal(c.logging.level, LOG_LVL_ERROR);
    assert_int_equal(c.prometheus_port, 9100);
    assert_string_equal(c.region, "");
    /* a second document replaces lists and keys, keeps the rest */
    assert_int_equal(apply(&c, "bind_addresses: [1.2.3.4]\nkeys: {a: b}\n", err), 0);
    assert_int_equal(apply(&c, "bind_addresses: [5.6.7.8, 9.9.9.9]\nkeys: {c: d}\n", err), 0);
    assert_int_equal(c.n_bind_addresses, 2);
    assert_string_equal(c.bind_addresses[0], "5.6.7.8");
    assert_int_equal(c.n_keys, 1);
    assert_null(config_secret_for(&c, "a"));
    assert_string_equal(config_secret_for(&c, "c"), "d");
    assert_int_equal(c.rtc.udp_port, 7000);
    /* an empty document and a comment-only one change nothing */
    assert_int_equal(apply(&c, "", err), 0);
    assert_int_equal(apply(&c, "# nothing\n", err), 0);
    assert_int_equal(config_apply_yaml(&c, NULL, 0, "x", err, ERRLEN), 0);
    /* udp_port as a LiveKit range: first port */
    capture_begin();
    assert_int_equal(apply(&c, "rtc:\n  udp_port: 7900-7910\n", err), 0);
    free(capture_end());
    assert_int_equal(c.rtc.udp_port, 7900);
    config_free(&c);
}

static void test_unknown_keys_warn(void **state)
{
    (void)state;
    struct config c;
    char err[ERRLEN];
    config_defaults(&c);
    capture_begin();
    int rc = apply(&c,
                   "port: 7000\n"
                   "redis:\n"
                   "  address: localhost:6379\n"
                   "rtc:\n"
                   "  use_ice_lite: true\n"
                   "  udp_port: 7001\n"
                   "bogus: 1\n",
                   err);
    char *out = capture_end();
    assert_int_equal(rc, 0);
    assert_int_equal(c.port, 7000);
    assert_int_equal(c.rtc.udp_port, 7001);
    assert_non_null(strstr(out, "line=2 key=redis"));
    assert_non_null(strstr(out, "line=5 key=rtc.use_ice_lite"));
    assert_non_null(strstr(out, "line=7 key=bogus"));
    assert_null(strstr(out, "address")); /* one warning per unknown subtree */
    assert_non_null(strstr(out, "level=warn"));
    free(out);
    config_free(&c);
}

static void expect_error(const char *yaml, const char *msg)
{
    struct config c;
    char err[ERRLEN];
    config_defaults(&c);
    assert_int_equal(apply(&c, yaml, err), DC_ECONFIG);
    if (!strstr(err, msg))
        fail_msg("error \"%s\" does not contain \"%s\"", err, msg);
    config_free(&c);
}

static void test_malformed_yaml(void **state)
{
    (void)state;
    expect_error("port: 7880\nrtc:\n  udp_port: [1, 2\n", "livekit.yaml:3: invalid YAML");
    expect_error("port: 7880\nroom: a: b\n", "livekit.yaml:2: invalid YAML: mapping values are not allowed");
    expect_error("port: 7880\n\tbad: tab\n", "livekit.yaml:2: invalid YAML");
    expect_error("a: \"unterminated\n", "livekit.yaml:");
    expect_error("- just\n- a list\n", "livekit.yaml:1: expected a mapping of configuration keys, got a list");
    expect_error("hello\n", "expected a mapping of configuration keys, got a scalar");
    expect_error("port: 1\n? [a, b]\n: c\n", "livekit.yaml:2: keys must be strings");
    expect_error("port: \xff\xfe\n", "invalid YAML");
}

static void test_wrong_types(void **state)
{
    (void)state;
    expect_error("port: abc\n", "livekit.yaml:1: port: expected an integer between 1 and 65535, got \"abc\"");
    expect_error("port: 7880\nregion: x\nlogging:\n  json: true\nroom: {}\nrtc:\n  udp_port: abc\n",
                 "livekit.yaml:7: rtc.udp_port: expected an integer between 1 and 65535, got \"abc\"");
    expect_error("port: [1]\n", "port: expected an integer between 1 and 65535, got a list");
    expect_error("port: 12.5\n", "got \"12.5\"");
    expect_error("port: 0x50\n", "got \"0x50\"");
    expect_error("development: maybe\n", "livekit.yaml:1: development: expected true or false, got \"maybe\"");
    expect_error("logging:\n  level: loud\n", "livekit.yaml:2: logging.level: expected one of debug, info, warn, error");
    expect_error("rtc: 5\n", "livekit.yaml:1: rtc: expected a mapping, got \"5\"");
    expect_error("room:\n  empty_timeout: -1\n", "room.empty_timeout: expected an integer between 0 and 4294967295");
    expect_error("room:\n  max_participants: 4294967296\n", "got \"4294967296\"");
    expect_error("limit:\n  signal_message_size_limit: 18446744073709551616\n",
                 "limit.signal_message_size_limit: expected an integer between 0 and 18446744073709551615");
    expect_error("bind_addresses: 0.0.0.0\n", "bind_addresses: expected a list of IP addresses");
    expect_error("bind_addresses:\n  - 0.0.0.0\n  - example.com\n",
                 "livekit.yaml:3: bind_addresses[1]: expected an IP address, got \"example.com\"");
    expect_error("rtc:\n  node_ip: not-an-ip\n", "rtc.node_ip: expected an IP address");
    expect_error("rtc:\n  sctp: sctplab\n", "rtc.sctp: expected native or usrsctp");
    expect_error("limit:\n  data_queue_full_action: block\n",
                 "livekit.yaml:2: limit.data_queue_full_action: expected reconnect or drop, got \"block\"");
    expect_error("limit:\n  max_data_queue_messages: -1\n",
                 "limit.max_data_queue_messages: expected an integer between 0 and 4294967295");
    expect_error("webhook:\n  urls:\n    - ftp://x\n", "webhook.urls[0]: expected an http:// or https:// URL");
    expect_error("keys: [a, b]\n", "livekit.yaml:1: keys: expected a mapping of API key to secret");
    expect_error("keys:\n  a: b\n  c:\n", "livekit.yaml:3: keys: the secret of API key c must be a non-empty string");
    expect_error("keys:\n  a: [x]\n", "the secret of API key a must be");
    expect_error("region: \"a\\0b\"\n", "region: expected a string, got \"a\\x00b\"");
    expect_error("region: [x]\n", "region: expected a string, got a list");
    /* long values are shortened in messages */
    expect_error("port: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
                 "got \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"");
    /* v4,v6 node_ip is accepted */
    struct config c;
    char err[ERRLEN];
    config_defaults(&c);
    assert_int_equal(apply(&c, "rtc:\n  node_ip: 10.0.0.1,2001:db8::1\n", err), 0);
    assert_string_equal(c.rtc.node_ip, "10.0.0.1,2001:db8::1");
    assert_int_equal(apply(&c, "rtc:\n  node_ip: \"\"\n", err), 0);
    assert_null(c.rtc.node_ip);
    assert_int_equal(apply(&c, "development: yes\nlogging: {json: On}\n", err), 0);
    assert_true(c.development);
    assert_true(c.logging.json);
    config_free(&c);
}

static void test_port_ranges(void **state)
{
    (void)state;
    expect_error("port: 0\n", "port: expected an integer between 1 and 65535, got \"0\"");
    expect_error("port: 65536\n", "got \"65536\"");
    expect_error("port: -5\n", "got \"-5\"");
    expect_error("rtc:\n  udp_port: 0\n", "rtc.udp_port: expected an integer between 1 and 65535");
    expect_error("rtc:\n  udp_port: 70000\n", "rtc.udp_port");
    expect_error("rtc:\n  udp_port: 7910-7900\n", "rtc.udp_port");
    expect_error("rtc:\n  tcp_port: 65536\n", "rtc.tcp_port: expected an integer between 0 and 65535");
    expect_error("prometheus:\n  port: -1\n", "prometheus.port: expected an integer between 0 and 65535");
    struct config c;
    char err[ERRLEN];
    config_defaults(&c);
    assert_int_equal(apply(&c, "port: 65535\nrtc: {tcp_port: 0, udp_port: 1}\n", err), 0);
    assert_int_equal(c.port, 65535);
    assert_int_equal(c.rtc.tcp_port, 0);
    assert_int_equal(c.rtc.udp_port, 1);
    config_free(&c);
}

static void test_dev_mode(void **state)
{
    (void)state;
    struct config c;
    enum config_action action;
    char err[ERRLEN];
    assert_int_equal(setup_args(&c, &action, err, "--dev", NULL), 0);
    assert_int_equal(action, CONFIG_RUN);
    assert_true(c.development);
    assert_int_equal(c.n_keys, 1);
    assert_string_equal(c.keys[0].key, "devkey");
    assert_string_equal(config_secret_for(&c, "devkey"), "secret");
    assert_int_equal(c.rtc.udp_port, 7882);
    assert_int_equal(c.logging.level, LOG_LVL_DEBUG);
    config_free(&c);

    /* explicit settings win over dev defaults */
    assert_int_equal(setup_args(&c, &action, err, "--development", "--config-body",
                                "logging: {level: warn}\nrtc: {udp_port: 9000}\nkeys: {k: s}\n", NULL),
                     0);
    assert_int_equal(c.logging.level, LOG_LVL_WARN);
    assert_int_equal(c.rtc.udp_port, 9000);
    assert_int_equal(c.n_keys, 1);
    assert_null(config_secret_for(&c, "devkey"));
    config_free(&c);

    /* development from the YAML has the same effect; --dev=false turns it off */
    assert_int_equal(setup_args(&c, &action, err, "--config-body", "development: true", NULL), 0);
    assert_string_equal(config_secret_for(&c, "devkey"), "secret");
    config_free(&c);
    assert_int_equal(setup_args(&c, &action, err, "--config-body", "development: true", "--dev=false", NULL),
                     DC_ECONFIG);
    assert_non_null(strstr(err, "one of key-file or keys must be provided"));
    config_free(&c);
}

static void test_no_keys_refused(void **state)
{
    (void)state;
    struct config c;
    char err[ERRLEN];
    assert_int_equal(setup_args(&c, NULL, err, NULL), DC_ECONFIG);
    assert_non_null(strstr(err, "one of key-file or keys must be provided"));
    config_free(&c);
    /* production run: normal info logging, warning about a short secret */
    capture_begin();
    int rc = setup_args(&c, NULL, err, "--keys", "k: s3cr3tval", NULL);
    char *out = capture_end();
    assert_int_equal(rc, 0);
    assert_int_equal(c.logging.level, LOG_LVL_INFO);
    assert_non_null(strstr(out, "api_key=k"));
    assert_null(strstr(out, "s3cr3tval")); /* secrets are never logged */
    free(out);
    config_free(&c);
}

static void test_keys_flag(void **state)
{
    (void)state;
    struct config c;
    char err[ERRLEN];
    assert_int_equal(setup_args(&c, NULL, err, "--dev", "--keys", "APIabc: s3cret", NULL), 0);
    assert_int_equal(c.n_keys, 1);
    assert_string_equal(config_secret_for(&c, "APIabc"), "s3cret");
    config_free(&c);

    assert_int_equal(setup_args(&c, NULL, err, "--dev", "--keys=k1: s1\nk2: s2", NULL), 0);
    assert_int_equal(c.n_keys, 2);
    assert_string_equal(config_secret_for(&c, "k2"), "s2");
    config_free(&c);

    /* --keys replaces keys from the config */
    assert_int_equal(setup_args(&c, NULL, err, "--config-body", "keys: {old: x}", "--keys", "new: y", NULL), 0);
    assert_null(config_secret_for(&c, "old"));
    assert_string_equal(config_secret_for(&c, "new"), "y");
    config_free(&c);

    /* without the space it is not a map; the secret is not echoed */
    assert_int_equal(setup_args(&c, NULL, err, "--keys", "k1:topsecretvalue", NULL), DC_ECONFIG);
    assert_non_null(strstr(err, "--keys:1: expected a mapping of API key to secret"));
    assert_null(strstr(err, "topsecretvalue"));
    config_free(&c);
    assert_int_equal(setup_args(&c, NULL, err, "--keys", "k1: [", NULL), DC_ECONFIG);
    assert_non_null(strstr(err, "--keys:1: invalid YAML"));
    config_free(&c);
}

static void test_env(void **state)
{
    (void)state;
    struct config c;
    char err[ERRLEN];
    setenv("LIVEKIT_KEYS", "envkey: envsecret", 1);
    assert_int_equal(setup_args(&c, NULL, err, NULL), 0);
    assert_string_equal(config_secret_for(&c, "envkey"), "envsecret");
    config_free(&c);
    /* the flag wins over the environment */
    assert_int_equal(setup_args(&c, NULL, err, "--keys", "flagkey: x", NULL), 0);
    assert_null(config_secret_for(&c, "envkey"));
    config_free(&c);
    setenv("LIVEKIT_KEYS", "bad", 1);
    assert_int_equal(setup_args(&c, NULL, err, NULL), DC_ECONFIG);
    assert_non_null(strstr(err, "LIVEKIT_KEYS:1:"));
    config_free(&c);
    unsetenv("LIVEKIT_KEYS");

    setenv("LIVEKIT_CONFIG", "port: 9999\nkeys:\n  a: b\n", 1);
    assert_int_equal(setup_args(&c, NULL, err, NULL), 0);
    assert_int_equal(c.port, 9999);
    assert_string_equal(config_secret_for(&c, "a"), "b");
    assert_null(c.config_path);
    config_free(&c);
    /* --config-body wins over LIVEKIT_CONFIG */
    assert_int_equal(setup_args(&c, NULL, err, "--config-body", "port: 9998\nkeys: {a: b}", NULL), 0);
    assert_int_equal(c.port, 9998);
    config_free(&c);
    setenv("LIVEKIT_CONFIG", "port: nope\n", 1);
    assert_int_equal(setup_args(&c, NULL, err, "--dev", NULL), DC_ECONFIG);
    assert_string_equal(err, "LIVEKIT_CONFIG:1: port: expected an integer between 1 and 65535, got \"nope\"");
    config_free(&c);
    unsetenv("LIVEKIT_CONFIG");

    setenv("NODE_IP", "192.0.2.7", 1);
    setenv("UDP_PORT", "7999", 1);
    setenv("LIVEKIT_REGION", "mars", 1);
    assert_int_equal(setup_args(&c, NULL, err, "--dev", NULL), 0);
    assert_string_equal(c.rtc.node_ip, "192.0.2.7");
    assert_int_equal(c.rtc.udp_port, 7999);
    assert_string_equal(c.region, "mars");
    config_free(&c);
    setenv("UDP_PORT", "x", 1);
    assert_int_equal(setup_args(&c, NULL, err, "--dev", NULL), DC_ECONFIG);
    assert_non_null(strstr(err, "UDP_PORT: expected an integer between 1 and 65535"));
    config_free(&c);
}

static void test_key_file(void **state)
{
    (void)state;
    struct config c;
    char err[ERRLEN], path[64], body[128];
    strcpy(path, temp_file("filekey: filesecret-filesecret-filesecret-1234\nother: x\n", 0644));
    assert_int_equal(setup_args(&c, NULL, err, "--key-file", path, NULL), DC_ECONFIG);
    assert_non_null(strstr(err, "key file others permissions must be set to 0"));
    assert_non_null(strstr(err, path));
    config_free(&c);
    chmod(path, 0640);
    assert_int_equal(setup_args(&c, NULL, err, "--key-file", path, NULL), DC_ECONFIG);
    config_free(&c);

    chmod(path, 0600);
    capture_begin();
    assert_int_equal(setup_args(&c, NULL, err, "--keys", "ignored: y", "--key-file", path, NULL), 0);
    free(capture_end());
    assert_int_equal(c.n_keys, 2);
    assert_string_equal(config_secret_for(&c, "filekey"), "filesecret-filesecret-filesecret-1234");
    assert_null(config_secret_for(&c, "ignored"));
    config_free(&c);

    /* key_file from the YAML */
    snprintf(body, sizeof body, "key_file: %s\n", path);
    capture_begin();
    assert_int_equal(setup_args(&c, NULL, err, "--config-body", body, NULL), 0);
    free(capture_end());
    assert_string_equal(c.key_file, path);
    assert_string_equal(config_secret_for(&c, "other"), "x");
    config_free(&c);
    unlink(path);

    assert_int_equal(setup_args(&c, NULL, err, "--key-file", "/nonexistent/keys.yaml", NULL), DC_ECONFIG);
    assert_non_null(strstr(err, "cannot read key file /nonexistent/keys.yaml"));
    config_free(&c);

    strcpy(path, temp_file("just a string\n", 0600));
    assert_int_equal(setup_args(&c, NULL, err, "--key-file", path, NULL), DC_ECONFIG);
    assert_non_null(strstr(err, "expected a mapping of API key to secret"));
    config_free(&c);
    unlink(path);
}

static void test_tls_files(void **state)
{
    (void)state;
    struct config c;
    char err[ERRLEN], cert[64], key[64], body[256];
    strcpy(cert, temp_file("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", 0644));
    strcpy(key, temp_file("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n", 0640));
    snprintf(body, sizeof body, "tls:\n  cert_file: %s\n  key_file: %s\n", cert, key);
    assert_int_equal(setup_args(&c, NULL, err, "--dev", "--config-body", body, NULL), 0);
    assert_string_equal(c.tls.cert_file, cert);
    assert_string_equal(c.tls.key_file, key);
    assert_non_null(strstr(c.tls.cert_pem, "BEGIN CERTIFICATE"));
    assert_int_equal(c.tls.key_pem_len, strlen(c.tls.key_pem));
    config_free(&c);
    /* world-readable key */
    chmod(key, 0644);
    assert_int_equal(setup_args(&c, NULL, err, "--dev", "--config-body", body, NULL), DC_ECONFIG);
    assert_non_null(strstr(err, "others may access it"));
    config_free(&c);
    chmod(key, 0600);
    /* one without the other */
    snprintf(body, sizeof body, "tls:\n  cert_file: %s\n", cert);
    assert_int_equal(setup_args(&c, NULL, err, "--dev", "--config-body", body, NULL), DC_ECONFIG);
    assert_non_null(strstr(err, "must be set together"));
    config_free(&c);
    /* files that are not what they should be */
    snprintf(body, sizeof body, "tls:\n  cert_file: %s\n  key_file: %s\n", key, key);
    assert_int_equal(setup_args(&c, NULL, err, "--dev", "--config-body", body, NULL), DC_ECONFIG);
    assert_non_null(strstr(err, "no PEM certificate"));
    config_free(&c);
    snprintf(body, sizeof body, "tls:\n  cert_file: %s\n  key_file: %s\n", cert, cert);
    chmod(cert, 0600);
    assert_int_equal(setup_args(&c, NULL, err, "--dev", "--config-body", body, NULL), DC_ECONFIG);
    assert_non_null(strstr(err, "no PEM private key"));
    config_free(&c);
    snprintf(body, sizeof body, "tls:\n  cert_file: /nonexistent.pem\n  key_file: %s\n", key);
    assert_int_equal(setup_args(&c, NULL, err, "--dev", "--config-body", body, NULL), DC_ECONFIG);
    assert_non_null(strstr(err, "cannot read tls.cert_file /nonexistent.pem"));
    config_free(&c);
    unlink(cert);
    unlink(key);
}

static void test_config_file(void **state)
{
    (void)state;
    struct config c;
    char err[ERRLEN], path[64];
    assert_int_equal(setup_args(&c, NULL, err, "--dev", "--config", "/nonexistent/livekit.yaml", NULL), DC_ECONFIG);
    assert_non_null(strstr(err, "cannot read config file /nonexistent/livekit.yaml"));
    config_free(&c);
    assert_int_equal(setup_args(&c, NULL, err, "--dev", "--config", "/tmp", NULL), DC_ECONFIG);
    assert_non_null(strstr(err, "not a regular file"));
    config_free(&c);

    strcpy(path, temp_file("port: 7001\nkeys:\n  a: b\nrtc:\n  udp_port: x\n", 0644));
    assert_int_equal(setup_args(&c, NULL, err, "--config", path, NULL), DC_ECONFIG);
    char want[128];
    snprintf(want, sizeof want, "%s:5: rtc.udp_port: expected an integer", path);
    assert_non_null(strstr(err, want));
    config_free(&c);
    unlink(path);

    strcpy(path, temp_file("port: 7001\nkeys:\n  a: b\n", 0644));
    /* As livekit-server: LIVEKIT_CONFIG wins over --config; flags win over both */
    setenv("LIVEKIT_CONFIG", "port: 7002\nkeys:\n  e: f\n", 1);
    assert_int_equal(setup_args(&c, NULL, err, "--config", path, "--port", "7003", NULL), 0);
    assert_int_equal(c.port, 7003);
    assert_string_equal(config_secret_for(&c, "e"), "f");
    assert_null(config_secret_for(&c, "a"));
    config_free(&c);
    assert_int_equal(setup_args(&c, NULL, err, "--config", path, NULL), 0);
    assert_int_equal(c.port, 7002);
    config_free(&c);
    unsetenv("LIVEKIT_CONFIG");
    assert_int_equal(setup_args(&c, NULL, err, "--config", path, NULL), 0);
    assert_int_equal(c.port, 7001);
    assert_string_equal(c.config_path, path);
    assert_string_equal(config_secret_for(&c, "a"), "b");
    config_free(&c);
    unlink(path);
}

static void test_cli_forms(void **state)
{
    (void)state;
    struct config c;
    enum config_action action;
    char err[ERRLEN];
    assert_int_equal(setup_args(&c, &action, err, "--dev", "--port", "1234", "--udp-port=2345", "-node-ip",
                                "10.0.0.9", "--bind", "127.0.0.1", "--bind=::1", "--region=here", NULL),
                     0);
    assert_int_equal(c.port, 1234);
    assert_int_equal(c.rtc.udp_port, 2345);
    assert_string_equal(c.rtc.node_ip, "10.0.0.9");
    assert_int_equal(c.n_bind_addresses, 2);
    assert_string_equal(c.bind_addresses[0], "127.0.0.1");
    assert_string_equal(c.bind_addresses[1], "::1");
    assert_string_equal(c.region, "here");
    config_free(&c);

    /* --bind replaces bind_addresses from the config */
    assert_int_equal(setup_args(&c, &action, err, "--config-body", "bind_addresses: [1.1.1.1, 2.2.2.2]",
                                "--dev", "--bind", "0.0.0.0", NULL),
                     0);
    assert_int_equal(c.n_bind_addresses, 1);
    assert_string_equal(c.bind_addresses[0], "0.0.0.0");
    config_free(&c);

    assert_int_equal(setup_args(&c, &action, err, "--help", NULL), 0);
    assert_int_equal(action, CONFIG_HELP);
    config_free(&c);
    assert_int_equal(setup_args(&c, &action, err, "-h", NULL), 0);
    assert_int_equal(action, CONFIG_HELP);
    config_free(&c);
    assert_int_equal(setup_args(&c, &action, err, "--version", NULL), 0);
    assert_int_equal(action, CONFIG_VERSION);
    config_free(&c);

    static const struct {
        const char *a, *b, *msg;
    } bad[] = {
        {"--bogus", NULL, "unknown flag \"--bogus\""},
        {"--port", NULL, "flag --port needs a value"},
        {"--port", "0", "--port: expected an integer between 1 and 65535, got \"0\""},
        {"--port=x", NULL, "--port: expected an integer"},
        {"--udp-port", "65536", "--udp-port: expected an integer between 1 and 65535"},
        {"--node-ip", "host.example", "--node-ip: expected an IP address"},
        {"--bind", "localhost", "--bind: expected an IP address, got \"localhost\""},
        {"serve", NULL, "unexpected argument \"serve\""},
        {"--dev=maybe", NULL, "expected --dev, --dev=true or --dev=false"},
        {"--config-body", "port: [", "--config-body:1: invalid YAML"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = setup_args(&c, &action, err, "--dev", bad[i].a, bad[i].b, NULL);
        assert_int_equal(rc, DC_ECONFIG);
        if (!strstr(err, bad[i].msg))
            fail_msg("%s: error \"%s\" does not contain \"%s\"", bad[i].a, err, bad[i].msg);
        config_free(&c);
    }
}

static void test_validation(void **state)
{
    (void)state;
    struct config c;
    char err[ERRLEN];
    assert_int_equal(setup_args(&c, NULL, err, "--dev", "--config-body", "webhook: {urls: [http://x/]}", NULL),
                     DC_ECONFIG);
    assert_non_null(strstr(err, "webhook.api_key is required"));
    config_free(&c);
    assert_int_equal(setup_args(&c, NULL, err, "--dev", "--config-body", "webhook: {api_key: nokey}", NULL),
                     DC_ECONFIG);
    assert_non_null(strstr(err, "webhook.api_key: nokey is not one of the configured keys"));
    config_free(&c);
    assert_int_equal(setup_args(&c, NULL, err, "--dev", "--config-body",
                                "webhook: {api_key: devkey, urls: [\"http://127.0.0.1:1/\"]}", NULL),
                     0);
    config_free(&c);
    assert_int_equal(setup_args(&c, NULL, err, "--dev", "--port", "7881", NULL), DC_ECONFIG);
    assert_non_null(strstr(err, "rtc.tcp_port and port must differ"));
    config_free(&c);
    assert_int_equal(setup_args(&c, NULL, err, "--dev", "--config-body", "prometheus: {port: 7880}", NULL),
                     DC_ECONFIG);
    assert_non_null(strstr(err, "prometheus.port 7880"));
    config_free(&c);
}

static char *read_example(size_t *len)
{
    FILE *f = fopen("livekit.yaml.example", "rb");
    assert_non_null(f);
    char *buf = calloc(1, 1 << 16);
    *len = fread(buf, 1, (1 << 16) - 1, f);
    fclose(f);
    return buf;
}

static void test_example_loads(void **state)
{
    (void)state;
    struct config c, d;
    char err[ERRLEN];
    size_t len;
    char *text = read_example(&len);
    config_defaults(&c);
    config_defaults(&d);
    capture_begin();
    int rc = config_apply_yaml(&c, text, len, "livekit.yaml.example", err, ERRLEN);
    char *out = capture_end();
    if (rc)
        fail_msg("%s", err);
    assert_string_equal(out, ""); /* no warnings */
    free(out);
    /* the example documents the defaults */
    assert_int_equal(c.port, d.port);
    assert_int_equal(c.rtc.udp_port, d.rtc.udp_port);
    assert_int_equal(c.rtc.tcp_port, d.rtc.tcp_port);
    assert_true(c.development == d.development && c.room.auto_create == d.room.auto_create);
    assert_memory_equal(&c.room, &d.room, sizeof c.room);
    assert_memory_equal(&c.limit, &d.limit, sizeof c.limit);
    assert_int_equal(c.rtc.max_pending_handshakes, d.rtc.max_pending_handshakes);
    assert_memory_equal(&c.logging, &d.logging, sizeof c.logging);
    assert_int_equal(c.prometheus_port, d.prometheus_port);
    assert_string_equal(c.region, d.region);
    assert_int_equal(c.n_keys + c.n_bind_addresses + c.webhook.n_urls, 0);
    config_free(&c);
    config_free(&d);
    free(text);

    /* and starts the server in development mode without complaint */
    capture_begin();
    rc = setup_args(&c, NULL, err, "--config", "livekit.yaml.example", "--dev", NULL);
    out = capture_end();
    if (rc)
        fail_msg("%s", err);
    assert_string_equal(out, "");
    free(out);
    assert_string_equal(c.config_path, "livekit.yaml.example");
    config_free(&c);
}

static void test_usage(void **state)
{
    (void)state;
    char buf[4096] = "";
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    assert_non_null(f);
    config_usage(f);
    fclose(f);
    const char *flags[] = {"--config ", "--config-body", "--keys", "--key-file", "--bind", "--port",
                           "--udp-port", "--node-ip", "--dev", "--help", "--version"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        assert_non_null(strstr(buf, flags[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, clear_env),
        cmocka_unit_test_setup(test_every_key, clear_env),
        cmocka_unit_test_setup(test_nested_and_partial, clear_env),
        cmocka_unit_test_setup(test_unknown_keys_warn, clear_env),
        cmocka_unit_test_setup(test_malformed_yaml, clear_env),
        cmocka_unit_test_setup(test_wrong_types, clear_env),
        cmocka_unit_test_setup(test_port_ranges, clear_env),
        cmocka_unit_test_setup(test_dev_mode, clear_env),
        cmocka_unit_test_setup(test_no_keys_refused, clear_env),
        cmocka_unit_test_setup(test_keys_flag, clear_env),
        cmocka_unit_test_setup(test_env, clear_env),
        cmocka_unit_test_setup(test_key_file, clear_env),
        cmocka_unit_test_setup(test_tls_files, clear_env),
        cmocka_unit_test_setup(test_config_file, clear_env),
        cmocka_unit_test_setup(test_cli_forms, clear_env),
        cmocka_unit_test_setup(test_validation, clear_env),
        cmocka_unit_test_setup(test_example_loads, clear_env),
        cmocka_unit_test_setup(test_usage, clear_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
