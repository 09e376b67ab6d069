/* Unit tests for server/cli_tools: Go-style durations, grant specs, join-token
 * claims (checked with auth_verify), the subcommands end to end, and
 * config_setup_with's caller-owned flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "common/b64.h"
#include "common/err.h"
#include "config/config.h"
#include "server/cli_tools.h"
#include "signaling/auth.h"

#define NOW 1700000000LL
#define SECRET "a-secret-of-at-least-32-characters-long"

static int clear_env(void **state)
{
    (void)state;
    unsetenv("LIVEKIT_KEYS");
    unsetenv("LIVEKIT_CONFIG");
    return 0;
}

static const char *secret_for(void *ctx, const char *api_key)
{
    (void)ctx;
    if (!strcmp(api_key, "APIkey"))
        return SECRET;
    if (!strcmp(api_key, "devkey"))
        return "secret";
    if (!strcmp(api_key, "k2"))
        return "second-secret-0123456789abcdefghij";
    return NULL;
}

static int64_t dur(const char *s)
{
    int64_t v = -1;
    return cli_tools_parse_duration(s, &v) ? -1 : v;
}

static void test_duration(void **state)
{
    (void)state;
    assert_int_equal(dur("90s"), 90);
    assert_int_equal(dur("10m"), 600);
    assert_int_equal(dur("6h"), 6 * 3600);
    assert_int_equal(dur("1h30m"), 5400);
    assert_int_equal(dur("1h30m15s"), 5415);
    assert_int_equal(dur("1.5h"), 5400);
    assert_int_equal(dur(".5m"), 30);
    assert_int_equal(dur("1500ms"), 1);
    assert_int_equal(dur("2000000000ns"), 2);
    assert_int_equal(dur("3000000us"), 3);
    assert_int_equal(dur("3000000\xc2\xb5s"), 3);
    assert_int_equal(dur("720h"), 720 * 3600);
    assert_int_equal(dur("2562047h"), 2562047LL * 3600);
    assert_int_equal(dur("1s1s"), 2);
    /* bad syntax, too small, overflow */
    const char *bad[] = {"", "h", "10", "1x", "1 h", " 1h", "-1h", "+1h", "1h-5m", "1.h.", ".h",
                         "500ms", "0", "0s", "999ms", "2562048h", "9999999999999999999h",
                         "99999999999999999999s", "1hh", "1H", "5d"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t v = 42;
        if (cli_tools_parse_duration(bad[i], &v) != DC_EINVAL)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(v, 42);
    }
    assert_int_equal(cli_tools_parse_duration(NULL, NULL), DC_EINVAL);
}

static void test_grants(void **state)
{
    (void)state;
    struct join_token_req r;
    memset(&r, 0, sizeof r);
    assert_int_equal(cli_tools_add_grant(&r, "canUpdateOwnMetadata"), 0);
    assert_int_equal(cli_tools_add_grant(&r, "canPublish=false"), 0);
    assert_int_equal(cli_tools_add_grant(&r, "hidden=true"), 0);
    assert_int_equal(cli_tools_add_grant(&r, "canPublish=true"), 0); /* replaces */
    assert_int_equal(r.n_grants, 3);
    assert_string_equal(r.grants[1].name, "canPublish");
    assert_true(r.grants[1].value);
    const char *bad[] = {"", "canpublish", "canPublish=", "canPublish=1", "canPublish=yes", "room",
                         "roomAdmin=true=false", "=true", "canPublishX"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (cli_tools_add_grant(&r, bad[i]) != DC_EINVAL)
            fail_msg("accepted grant \"%s\"", bad[i]);
    assert_int_equal(r.n_grants, 3);
    /* every known name fits */
    static const char *all[] = {"roomCreate", "roomList", "roomRecord", "roomAdmin", "roomJoin",
                                "ingressAdmin", "hidden", "recorder", "agent", "canPublish",
                                "canSubscribe", "canPublishData", "canUpdateOwnMetadata",
                                "canSubscribeMetrics", "canManageAgentSession"};
    memset(&r, 0, sizeof r);
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        assert_int_equal(cli_tools_add_grant(&r, all[i]), 0);
    assert_int_equal(r.n_grants, CLI_TOOLS_MAX_GRANTS);
}

static void test_claims(void **state)
{
    (void)state;
    struct join_token_req r;
    memset(&r, 0, sizeof r);
    assert_null(cli_tools_join_claims(&r, NOW));
    r.api_key = "APIkey";
    r.room = "room \"one\"";
    r.identity = "alice";
    r.name = "Alice";
    r.metadata = "{\"x\":1}";
    r.valid_for_s = 6 * 3600;
    assert_int_equal(cli_tools_add_grant(&r, "canUpdateOwnMetadata"), 0);
    assert_int_equal(cli_tools_add_grant(&r, "canPublish=false"), 0);
    assert_int_equal(cli_tools_add_grant(&r, "roomAdmin"), 0);
    char *claims = cli_tools_join_claims(&r, NOW);
    assert_non_null(claims);
    char *tok = auth_sign(claims, SECRET);
    free(claims);
    assert_non_null(tok);

    struct auth_claims c;
    char why[128];
    assert_int_equal(auth_verify(tok, NOW + 10, secret_for, NULL, &c, why, sizeof why), 0);
    assert_string_equal(c.api_key, "APIkey");
    assert_string_equal(c.identity, "alice");
    assert_string_equal(c.name, "Alice");
    assert_string_equal(c.metadata, "{\"x\":1}");
    assert_int_equal(c.nbf, NOW);
    assert_int_equal(c.exp, NOW + 6 * 3600);
    assert_true(c.has_video);
    assert_true(c.video.room_join);
    assert_string_equal(c.video.room, "room \"one\"");
    assert_int_equal(c.video.can_update_own_metadata, 1);
    assert_int_equal(c.video.can_publish, 0);
    assert_true(c.video.room_admin);
    assert_false(c.video.hidden);
    assert_int_equal(c.video.can_subscribe, -1);
    auth_claims_free(&c);
    /* expired after valid_for (plus leeway), not yet valid before nbf */
    assert_int_equal(auth_verify(tok, NOW + 6 * 3600 + AUTH_LEEWAY_S + 1, secret_for, NULL, &c, why, sizeof why),
                     DC_EAUTH);
    assert_int_equal(auth_verify(tok, NOW - AUTH_LEEWAY_S - 1, secret_for, NULL, &c, why, sizeof why), DC_EAUTH);
    free(tok);

    /* no name/metadata: claims left out */
    r.name = r.metadata = NULL;
    r.n_grants = 0;
    claims = cli_tools_join_claims(&r, NOW);
    assert_null(strstr(claims, "\"name\""));
    assert_null(strstr(claims, "\"metadata\""));
    assert_non_null(strstr(claims, "\"roomJoin\":true"));
    free(claims);
}

/* Runs a subcommand; returns its exit status, stdout in out (malloc'd). */
static int run(char **out, char **errtext, ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, errtext);
    for (const char *a; (a = va_arg(ap, const char *)) && argc < 31;)
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    size_t olen, elen;
    FILE *o = open_memstream(out, &olen), *e = open_memstream(errtext, &elen);
    int rc = cli_tools_run(argc, argv, o, e);
    fclose(o);
    fclose(e);
    return rc;
}

static void test_generate_keys(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(run(&out, &err, "generate-keys", NULL), 0);
    char key[64], secret[128];
    assert_int_equal(sscanf(out, "API Key:  %63s\nAPI Secret:  %127s\n", key, secret), 2);
    assert_int_equal(strlen(key), 15);
    assert_memory_equal(key, "API", 3);
    for (const char *p = key + 3; *p; p++)
        assert_true((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'));
    assert_int_equal(strlen(secret), 43);
    uint8_t raw[64];
    assert_int_equal(b64_decode(secret, strlen(secret), raw), 32);
    assert_null(strchr(secret, '+'));
    assert_null(strchr(secret, '/'));
    assert_string_equal(err, "");
    free(out);
    free(err);
    assert_int_equal(run(&out, &err, "generate-keys", "--bogus", NULL), 2);
    assert_non_null(strstr(err, "no arguments"));
    free(out);
    free(err);
}

static char *token_of(const char *out)
{
    assert_int_equal(strncmp(out, "Token: ", 7), 0);
    char *t = strdup(out + 7);
    t[strcspn(t, "\n")] = '\0';
    return t;
}

static void test_join_token_cmd(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(run(&out, &err, "create-join-token", "--dev", "--room", "r1", "--identity=bob",
                         "--grant", "canUpdateOwnMetadata", "--grant=hidden", "--valid-for", "10m",
                         "--name", "Bob", NULL),
                     0);
    char *tok = token_of(out);
    struct auth_claims c;
    int64_t now = (int64_t)time(NULL);
    assert_int_equal(auth_verify(tok, now, secret_for, NULL, &c, NULL, 0), 0);
    assert_string_equal(c.api_key, "devkey");
    assert_string_equal(c.identity, "bob");
    assert_string_equal(c.name, "Bob");
    assert_null(c.metadata);
    assert_string_equal(c.video.room, "r1");
    assert_true(c.video.room_join && c.video.hidden);
    assert_int_equal(c.video.can_update_own_metadata, 1);
    assert_true(c.exp - c.nbf == 600);
    auth_claims_free(&c);
    free(tok);
    free(out);
    free(err);

    /* several keys: the first, or --api-key; --recorder */
    const char *keys = "APIkey: " SECRET "\nk2: second-secret-0123456789abcdefghij";
    assert_int_equal(run(&out, &err, "create-join-token", "--keys", keys, "--room", "r", "--identity", "i",
                         "--recorder", NULL),
                     0);
    tok = token_of(out);
    assert_int_equal(auth_verify(tok, time(NULL), secret_for, NULL, &c, NULL, 0), 0);
    assert_string_equal(c.api_key, "APIkey");
    assert_true(c.video.hidden && c.video.recorder);
    assert_int_equal(c.video.can_publish, 0);
    assert_int_equal(c.video.can_publish_data, 0);
    assert_true(c.exp - c.nbf == CLI_TOOLS_DEFAULT_VALID_FOR_S);
    auth_claims_free(&c);
    free(tok);
    free(out);
    free(err);
    setenv("LIVEKIT_KEYS", keys, 1);
    assert_int_equal(run(&out, &err, "create-join-token", "--api-key", "k2", "--room", "r", "--identity", "i", NULL), 0);
    tok = token_of(out);
    assert_int_equal(auth_verify(tok, time(NULL), secret_for, NULL, &c, NULL, 0), 0);
    assert_string_equal(c.api_key, "k2");
    auth_claims_free(&c);
    free(tok);
    free(out);
    free(err);
    unsetenv("LIVEKIT_KEYS");
}

static void test_join_token_errors(void **state)
{
    (void)state;
    static const struct {
        const char *args[8];
        const char *msg;
    } cases[] = {
        {{"--dev", "--room", "r"}, "--room and --identity"},
        {{"--dev", "--identity", "i"}, "--room and --identity"},
        {{"--dev", "--room", "", "--identity", "i"}, "--room and --identity"},
        {{"--room", "r", "--identity", "i"}, "keys must be provided"},
        {{"--dev", "--room", "r", "--identity", "i", "--valid-for", "6"}, "--valid-for"},
        {{"--dev", "--room", "r", "--identity", "i", "--bogus"}, "unknown flag"},
        {{"--dev", "--room", "r", "--identity", "i", "--grant", "nope"}, "--grant"},
        {{"--dev", "--room", "r", "--identity", "i", "--api-key", "zz"}, "not one of the configured keys"},
        {{"--dev", "--room", "r", "--identity"}, "needs a value"},
        {{"--dev", "--room", "r", "--identity", "i", "--recorder=true"}, "takes no value"},
        {{"--dev", "--room", "r", "--identity", "i", "stray"}, "unexpected argument"},
        {{"--config-body", "port: [", "--room", "r", "--identity", "i"}, "--config-body"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[10] = {"create-join-token"};
        int argc = 1;
        for (size_t j = 0; j < 8 && cases[i].args[j]; j++)
            argv[argc++] = (char *)cases[i].args[j];
        char *out, *err;
        size_t olen, elen;
        FILE *o = open_memstream(&out, &olen), *e = open_memstream(&err, &elen);
        int rc = cli_tools_run(argc, argv, o, e);
        fclose(o);
        fclose(e);
        if (rc != 2 || !strstr(err, cases[i].msg) || *out)
            fail_msg("case %zu: rc=%d err=\"%s\" out=\"%s\"", i, rc, err, out);
        free(out);
        free(err);
    }
}

static void test_help(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(run(&out, &err, "create-join-token", "--help", NULL), 0);
    assert_non_null(strstr(out, "--valid-for"));
    free(out);
    free(err);
    assert_int_equal(run(&out, &err, "generate-keys", "-h", NULL), 0);
    assert_non_null(strstr(out, "generate-keys"));
    free(out);
    free(err);
    assert_true(cli_tools_is_command("generate-keys"));
    assert_true(cli_tools_is_command("create-join-token"));
    assert_false(cli_tools_is_command("--dev"));
    assert_false(cli_tools_is_command(NULL));
    assert_int_equal(run(&out, &err, "list-nodes", NULL), 2);
    free(out);
    free(err);
}

/* config_setup_with: caller flags are handed over in order, the rest is config. */
struct seen {
    char log[256];
};

static int on_flag(void *ctx, const struct config_flag *f, const char *v, char *err, size_t errlen)
{
    struct seen *s = ctx;
    if (v && !strcmp(v, "fail"))
        return snprintf(err, errlen, "no good"), DC_ECONFIG;
    size_t n = strlen(s->log);
    snprintf(s->log + n, sizeof s->log - n, "%s=%s;", f->name, v ? v : "(none)");
    return 0;
}

static void test_config_setup_with(void **state)
{
    (void)state;
    static const struct config_flag flags[] = {{"room", true}, {"port", true}, {"flag", false}};
    struct seen s = {{0}};
    struct config_extra x = {flags, 3, on_flag, &s};
    struct config c;
    enum config_action act;
    char err[256];
    char *argv[] = {"cmd", "--room", "a", "--dev", "--port=9", "--flag", "--udp-port", "9000", NULL};
    assert_int_equal(config_setup_with(&c, 8, argv, &x, &act, err, sizeof err), 0);
    assert_string_equal(s.log, "room=a;port=9;flag=(none);");
    assert_int_equal(act, CONFIG_RUN);
    assert_true(c.development);
    assert_int_equal(c.port, 7880); /* --port was the caller's */
    assert_int_equal(c.rtc.udp_port, 9000);
    config_free(&c);

    char *argv2[] = {"cmd", "--dev", "--room", "fail", NULL};
    assert_int_equal(config_setup_with(&c, 4, argv2, &x, &act, err, sizeof err), DC_ECONFIG);
    assert_string_equal(err, "no good");
    config_free(&c);
    char *argv3[] = {"cmd", "--dev", "--flag=x", NULL};
    assert_int_equal(config_setup_with(&c, 3, argv3, &x, &act, err, sizeof err), DC_ECONFIG);
    config_free(&c);
    /* without extras the same flag is unknown */
    char *argv4[] = {"cmd", "--dev", "--room", "a", NULL};
    assert_int_equal(config_setup_with(&c, 4, argv4, NULL, &act, err, sizeof err), DC_ECONFIG);
    assert_non_null(strstr(err, "unknown flag"));
    config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration),
        cmocka_unit_test(test_grants),
        cmocka_unit_test(test_claims),
        cmocka_unit_test_setup(test_generate_keys, clear_env),
        cmocka_unit_test_setup(test_join_token_cmd, clear_env),
        cmocka_unit_test_setup(test_join_token_errors, clear_env),
        cmocka_unit_test_setup(test_help, clear_env),
        cmocka_unit_test_setup(test_config_setup_with, clear_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
