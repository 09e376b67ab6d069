/* cli_tools.c: the generate-keys and create-join-token subcommands (see
 * cli_tools.h). */
#include "server/cli_tools.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/b64.h"
#include "common/err.h"
#include "common/util.h"
#include "config/config.h"
#include "signaling/auth.h"

#define EXIT_USAGE 2
#define SECRET_BYTES 32

static const char *const GRANT_NAMES[CLI_TOOLS_MAX_GRANTS] = {
    "roomCreate",     "roomList",       "roomRecord",           "roomAdmin",
    "roomJoin",       "ingressAdmin",   "hidden",               "recorder",
    "agent",          "canPublish",     "canSubscribe",         "canPublishData",
    "canUpdateOwnMetadata", "canSubscribeMetrics", "canManageAgentSession",
};

bool cli_tools_is_command(const char *arg)
{
    return arg && (!strcmp(arg, "generate-keys") || !strcmp(arg, "create-join-token"));
}

void cli_tools_usage(FILE *f)
{
    fputs("Commands:\n"
          "  dcsfu generate-keys   print a new API key and secret\n"
          "  dcsfu create-join-token --room ROOM --identity ID [flags]\n"
          "                        print an access token that joins ROOM, signed with the\n"
          "                        configured key (see `dcsfu create-join-token --help`)\n",
          f);
}

static void join_usage(FILE *f)
{
    fputs("Usage: dcsfu create-join-token --room ROOM --identity ID [flags]\n"
          "\n"
          "Prints \"Token: <jwt>\", an access token that joins ROOM, signed with the first\n"
          "configured API key.  Keys come from the same places as the server's:\n"
          "--config, --config-body, --keys, --key-file, --dev, LIVEKIT_CONFIG, LIVEKIT_KEYS.\n"
          "\n"
          "  --room ROOM           room to join (required)\n"
          "  --identity ID         participant identity (required)\n"
          "  --name NAME           participant name\n"
          "  --metadata TEXT       participant metadata\n"
          "  --valid-for DURATION  lifetime, e.g. 90s, 10m, 6h, 1h30m (default 720h)\n"
          "  --grant NAME[=BOOL]   add a video grant, e.g. canUpdateOwnMetadata,\n"
          "                        canPublish=false, hidden, roomAdmin; repeatable\n"
          "  --recorder            hidden recorder: hidden, recorder, canPublish=false,\n"
          "                        canPublishData=false\n"
          "  --api-key KEY         sign with this configured key instead of the first\n"
          "  -h, --help            print this help\n",
          f);
}

/* ---- durations ------------------------------------------------------------ */

static uint64_t unit_ns(const char *s, size_t *len)
{
    static const struct {
        const char *name;
        uint64_t ns;
    } units[] = {
        {"ns", 1},           {"us", 1000},           {"\xc2\xb5s", 1000}, {"\xce\xbcs", 1000},
        {"ms", 1000000},     {"s", 1000000000ULL},   {"m", 60000000000ULL}, {"h", 3600000000000ULL},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t n = strlen(units[i].name);
        if (!strncmp(s, units[i].name, n)) {
            *len = n;
            return units[i].ns;
        }
    }
    return 0;
}

/* One "<number><unit>" element at *p; adds its nanoseconds to *total. */
static int duration_elem(const char **p, uint64_t *total)
{
    const char *s = *p;
    uint64_t whole = 0, frac = 0, scale = 1;
    bool digits = false;
    for (; *s >= '0' && *s <= '9'; s++, digits = true) {
        if (whole > (UINT64_MAX - 9) / 10)
            return DC_EINVAL;
        whole = whole * 10 + (uint64_t)(*s - '0');
    }
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++, digits = true)
            if (scale < 1000000000000000000ULL) {
                frac = frac * 10 + (uint64_t)(*s - '0');
                scale *= 10;
            }
    size_t ulen;
    uint64_t unit = digits ? unit_ns(s, &ulen) : 0;
    if (!unit || whole > (uint64_t)INT64_MAX / unit)
        return DC_EINVAL;
    uint64_t ns = whole * unit + (uint64_t)((long double)frac * unit / scale);
    if (ns > (uint64_t)INT64_MAX - *total)
        return DC_EINVAL;
    *total += ns;
    *p = s + ulen;
    return 0;
}

int cli_tools_parse_duration(const char *s, int64_t *seconds)
{
    if (!s || !*s || !seconds)
        return DC_EINVAL;
    uint64_t total = 0;
    for (const char *p = s; *p;)
        if (duration_elem(&p, &total))
            return DC_EINVAL;
    if (total < 1000000000ULL)
        return DC_EINVAL;
    *seconds = (int64_t)(total / 1000000000ULL);
    return 0;
}

/* ---- claims --------------------------------------------------------------- */

int cli_tools_add_grant(struct join_token_req *r, const char *spec)
{
    if (!r || !spec)
        return DC_EINVAL;
    const char *eq = strchr(spec, '=');
    size_t n = eq ? (size_t)(eq - spec) : strlen(spec);
    bool value = true;
    if (eq && !strcmp(eq + 1, "false"))
        value = false;
    else if (eq && strcmp(eq + 1, "true"))
        return DC_EINVAL;
    const char *name = NULL;
    for (size_t i = 0; i < CLI_TOOLS_MAX_GRANTS && !name; i++)
        if (strlen(GRANT_NAMES[i]) == n && !strncmp(GRANT_NAMES[i], spec, n))
            name = GRANT_NAMES[i];
    if (!name)
        return DC_EINVAL;
    for (size_t i = 0; i < r->n_grants; i++) {
        if (r->grants[i].name == name) {
            r->grants[i].value = value;
            return 0;
        }
    }
    r->grants[r->n_grants].name = name;
    r->grants[r->n_grants].value = value;
    r->n_grants++;
    return 0;
}

char *cli_tools_join_claims(const struct join_token_req *r, int64_t now_s)
{
    if (!r || !r->api_key || !r->room || !r->identity)
        return NULL;
    json_t *video = json_object();
    json_object_set_new(video, "roomJoin", json_true());
    json_object_set_new(video, "room", json_string(r->room));
    for (size_t i = 0; i < r->n_grants; i++)
        json_object_set_new(video, r->grants[i].name, json_boolean(r->grants[i].value));
    json_t *o = json_object();
    json_object_set_new(o, "iss", json_string(r->api_key));
    json_object_set_new(o, "sub", json_string(r->identity));
    json_object_set_new(o, "nbf", json_integer(now_s));
    json_object_set_new(o, "exp", json_integer(now_s + r->valid_for_s));
    if (r->name)
        json_object_set_new(o, "name", json_string(r->name));
    if (r->metadata)
        json_object_set_new(o, "metadata", json_string(r->metadata));
    json_object_set_new(o, "video", video);
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    char *out = util_strdup(s);
    free(s);
    return out;
}

/* ---- commands ------------------------------------------------------------- */

static int finish_output(FILE *out, FILE *errf)
{
    if (fflush(out) != 0 || ferror(out)) {
        fputs("dcsfu: cannot write the output\n", errf);
        return 1;
    }
    return 0;
}

static int cmd_generate_keys(int argc, char **argv, FILE *out, FILE *errf)
{
    if (argc > 1) {
        bool help = !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help");
        fputs(help ? "Usage: dcsfu generate-keys\n\nPrints a new API key and secret.\n"
                   : "dcsfu: generate-keys takes no arguments\n",
              help ? out : errf);
        return help ? 0 : EXIT_USAGE;
    }
    char key[UTIL_SID_MAX];
    uint8_t raw[SECRET_BYTES];
    char secret[64];
    util_new_sid(key, "API");
    util_random_bytes(raw, sizeof raw);
    b64_encode(raw, sizeof raw, secret, true, false);
    fprintf(out, "API Key:  %s\nAPI Secret:  %s\n", key, secret);
    memset(secret, 0, sizeof secret);
    memset(raw, 0, sizeof raw);
    return finish_output(out, errf);
}

struct join_opts {
    struct join_token_req req;
    const char *valid_for;
};

enum { F_ROOM, F_IDENTITY, F_NAME, F_METADATA, F_VALID_FOR, F_GRANT, F_API_KEY, F_RECORDER };

static const struct config_flag JOIN_FLAGS[] = {
    [F_ROOM] = {"room", true},         [F_IDENTITY] = {"identity", true},
    [F_NAME] = {"name", true},         [F_METADATA] = {"metadata", true},
    [F_VALID_FOR] = {"valid-for", true}, [F_GRANT] = {"grant", true},
    [F_API_KEY] = {"api-key", true},   [F_RECORDER] = {"recorder", false},
};

static int on_join_flag(void *ctx, const struct config_flag *f, const char *v, char *err, size_t errlen)
{
    struct join_opts *o = ctx;
    switch ((int)(f - JOIN_FLAGS)) {
    case F_ROOM: o->req.room = v; break;
    case F_IDENTITY: o->req.identity = v; break;
    case F_NAME: o->req.name = v; break;
    case F_METADATA: o->req.metadata = v; break;
    case F_VALID_FOR: o->valid_for = v; break;
    case F_API_KEY: o->req.api_key = v; break;
    case F_GRANT:
        if (cli_tools_add_grant(&o->req, v)) {
            snprintf(err, errlen,
                     "--grant: expected a grant name such as canPublish, canUpdateOwnMetadata, "
                     "hidden or roomAdmin, optionally =true or =false; got \"%.64s\"",
                     v);
            return DC_ECONFIG;
        }
        break;
    default: /* --recorder, as livekit-server's */
        cli_tools_add_grant(&o->req, "hidden");
        cli_tools_add_grant(&o->req, "recorder");
        cli_tools_add_grant(&o->req, "canPublish=false");
        cli_tools_add_grant(&o->req, "canPublishData=false");
        break;
    }
    return 0;
}

/* Checks the parsed options and picks the key; returns 0 or writes err. */
static int join_check(struct join_opts *o, const struct config *cfg, const char **secret, char *err,
                      size_t errlen)
{
    if (!o->req.room || !*o->req.room || !o->req.identity || !*o->req.identity) {
        snprintf(err, errlen, "create-join-token needs --room and --identity (see --help)");
        return DC_EINVAL;
    }
    o->req.valid_for_s = CLI_TOOLS_DEFAULT_VALID_FOR_S;
    if (o->valid_for && cli_tools_parse_duration(o->valid_for, &o->req.valid_for_s)) {
        snprintf(err, errlen,
                 "--valid-for: expected a duration of at least 1s such as 90s, 10m, 6h or 1h30m, "
                 "got \"%.64s\"",
                 o->valid_for);
        return DC_EINVAL;
    }
    if (!o->req.api_key)
        o->req.api_key = cfg->keys[0].key;
    *secret = config_secret_for(cfg, o->req.api_key);
    if (!*secret) {
        snprintf(err, errlen, "--api-key: \"%.64s\" is not one of the configured keys", o->req.api_key);
        return DC_EINVAL;
    }
    return 0;
}

static int cmd_join_token(int argc, char **argv, FILE *out, FILE *errf)
{
    struct join_opts o;
    memset(&o, 0, sizeof o);
    const struct config_extra extra = {JOIN_FLAGS, sizeof JOIN_FLAGS / sizeof JOIN_FLAGS[0], on_join_flag, &o};
    struct config cfg;
    enum config_action action;
    char err[512] = "";
    const char *secret = NULL;
    if (config_setup_with(&cfg, argc, argv, &extra, &action, err, sizeof err) < 0 ||
        (action == CONFIG_RUN && join_check(&o, &cfg, &secret, err, sizeof err) < 0)) {
        fprintf(errf, "dcsfu: %s\n", err);
        config_free(&cfg);
        return EXIT_USAGE;
    }
    if (action != CONFIG_RUN) {
        join_usage(out);
        config_free(&cfg);
        return finish_output(out, errf);
    }
    char *claims = cli_tools_join_claims(&o.req, (int64_t)time(NULL));
    char *token = claims ? auth_sign(claims, secret) : NULL;
    free(claims);
    config_free(&cfg);
    if (!token) {
        fputs("dcsfu: signing the token failed\n", errf);
        return 1;
    }
    fprintf(out, "Token: %s\n", token);
    free(token);
    return finish_output(out, errf);
}

int cli_tools_run(int argc, char **argv, FILE *out, FILE *errf)
{
    if (argc < 1 || !cli_tools_is_command(argv[0])) {
        fprintf(errf, "dcsfu: unknown command (see --help)\n");
        return EXIT_USAGE;
    }
    if (!strcmp(argv[0], "generate-keys"))
        return cmd_generate_keys(argc, argv, out, errf);
    return cmd_join_token(argc, argv, out, errf);
}
