/* cli.c: start-up configuration: command line, environment, config file,
 * key file, development defaults and validation (config_setup), and the
 * --help text.  Flag names follow livekit-server's; --port and the
 * --development spelling are dcsfu's own. */
#include "config/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "config/internal.h"

#define CONFIG_FILE_MAX (16u << 20)
#define KEY_FILE_MAX (1u << 20)
#define TLS_FILE_MAX (1u << 20)
#define LEVEL_UNSET (-1)

struct cli {
    const char *config, *config_body, *key_file, *keys, *region, *node_ip, *udp_port, *port, *drain;
    const char **bind;
    size_t n_bind;
    int dev; /* -1: not given */
};

enum opt_kind { O_STR, O_BIND, O_DEV, O_HELP, O_VERSION };

struct opt {
    const char *name;
    enum opt_kind kind;
    size_t off; /* O_STR: the field in struct cli */
};

static const struct opt opts[] = {
    {"config", O_STR, offsetof(struct cli, config)},
    {"config-body", O_STR, offsetof(struct cli, config_body)},
    {"key-file", O_STR, offsetof(struct cli, key_file)},
    {"keys", O_STR, offsetof(struct cli, keys)},
    {"region", O_STR, offsetof(struct cli, region)},
    {"node-ip", O_STR, offsetof(struct cli, node_ip)},
    {"udp-port", O_STR, offsetof(struct cli, udp_port)},
    {"port", O_STR, offsetof(struct cli, port)},
    {"drain-timeout", O_STR, offsetof(struct cli, drain)},
    {"bind", O_BIND, 0},
    {"dev", O_DEV, 0},
    {"development", O_DEV, 0},
    {"help", O_HELP, 0},
    {"h", O_HELP, 0},
    {"version", O_VERSION, 0},
    {"v", O_VERSION, 0},
};

void config_usage(FILE *f)
{
    fputs("Usage: dcsfu [flags]\n"
          "       dcsfu generate-keys\n"
          "       dcsfu create-join-token --room ROOM --identity ID [flags]\n"
          "\n"
          "A LiveKit-compatible SFU for WebRTC data channels.  Configuration comes from\n"
          "livekit.yaml (see livekit.yaml.example), then these flags.\n"
          "\n"
          "Flags (`--flag value` or `--flag=value`):\n"
          "  --config FILE         path to a livekit.yaml config file\n"
          "  --config-body YAML    config as YAML text (env LIVEKIT_CONFIG); takes\n"
          "                        precedence over --config\n"
          "  --keys \"KEY: SECRET\"  API keys as YAML, replaces `keys` (env LIVEKIT_KEYS)\n"
          "  --key-file FILE       YAML file of KEY: SECRET lines; mode must be 0600 or\n"
          "                        stricter\n"
          "  --bind ADDR           IP address to listen on; repeat for several\n"
          "  --port N              HTTP/WebSocket port (default 7880)\n"
          "  --udp-port N          WebRTC UDP port (default 7882; env UDP_PORT)\n"
          "  --node-ip IP          IP advertised to clients (env NODE_IP)\n"
          "  --region NAME         region reported to clients (env LIVEKIT_REGION)\n"
          "  --drain-timeout SECS  how long SIGTERM waits for rooms to empty\n"
          "                        (shutdown.drain_timeout, default 30)\n"
          "  --dev, --development  development mode: API key \"devkey\" with secret\n"
          "                        \"secret\" when no keys are set, debug logging\n"
          "  -h, --help            print this help and exit\n"
          "  -v, --version         print the version and exit\n",
          f);
}

static const struct opt *find_opt(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        if (strlen(opts[i].name) == len && !strncmp(opts[i].name, name, len))
            return &opts[i];
    return NULL;
}

static int bad_arg(char *err, size_t errlen, const char *what, const char *arg)
{
    char q[64];
    config_quote(q, sizeof q, arg, strlen(arg));
    return config_fail(err, errlen, "%s %s (see --help)", what, q);
}

static const struct config_flag *find_extra(const struct config_extra *x, const char *name, size_t len)
{
    for (size_t i = 0; x && i < x->n_flags; i++)
        if (strlen(x->flags[i].name) == len && !strncmp(x->flags[i].name, name, len))
            return &x->flags[i];
    return NULL;
}

/* Hands one caller-owned flag to x->on_flag; advances *i past its value. */
static int take_extra(const struct config_extra *x, const struct config_flag *f, const char *a,
                      const char *eq, int argc, char **argv, int *i, char *err, size_t errlen)
{
    const char *val = eq ? eq + 1 : NULL;
    if (!f->takes_value && val)
        return bad_arg(err, errlen, "flag takes no value:", a);
    if (f->takes_value && !val) {
        if (*i + 1 >= argc)
            return config_fail(err, errlen, "flag --%s needs a value (see --help)", f->name);
        val = argv[++*i];
    }
    return x->on_flag(x->ctx, f, val, err, errlen);
}

/* Returns 0, 1 when --help/--version ends parsing, or DC_ECONFIG. */
static int parse_args(int argc, char **argv, const struct config_extra *x, struct cli *o,
                      enum config_action *action, char *err, size_t errlen)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || !a[1] || !strcmp(a, "--"))
            return bad_arg(err, errlen, "unexpected argument", a);
        const char *name = a + (a[1] == '-' ? 2 : 1);
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const struct config_flag *xf = find_extra(x, name, nlen);
        if (xf) {
            int rc = take_extra(x, xf, a, eq, argc, argv, &i, err, errlen);
            if (rc)
                return rc;
            continue;
        }
        const struct opt *opt = find_opt(name, nlen);
        if (!opt)
            return bad_arg(err, errlen, "unknown flag", a);
        if (opt->kind == O_HELP || opt->kind == O_VERSION) {
            *action = opt->kind == O_HELP ? CONFIG_HELP : CONFIG_VERSION;
            return 1;
        }
        if (opt->kind == O_DEV) {
            if (!eq || !strcmp(eq + 1, "true") || !strcmp(eq + 1, "1"))
                o->dev = 1;
            else if (!strcmp(eq + 1, "false") || !strcmp(eq + 1, "0"))
                o->dev = 0;
            else
                return bad_arg(err, errlen, "expected --dev, --dev=true or --dev=false, got", a);
            continue;
        }
        const char *val = eq ? eq + 1 : NULL;
        if (!val && i + 1 >= argc)
            return config_fail(err, errlen, "flag --%s needs a value (see --help)", opt->name);
        if (!val)
            val = argv[++i];
        if (opt->kind == O_BIND)
            o->bind[o->n_bind++] = val;
        else
            *(const char **)((char *)o + opt->off) = val;
    }
    return 0;
}

/* Reads a whole regular file (at most max bytes) into a NUL-terminated buffer. */
static int read_file(const char *path, const char *what, size_t max, char **out, size_t *outlen,
                     mode_t *mode, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return config_fail(err, errlen, "cannot read %s %s: %s", what, path, strerror(errno));
    const char *why = NULL;
    if (fstat(fd, &st) < 0)
        why = strerror(errno);
    else if (!S_ISREG(st.st_mode))
        why = "not a regular file";
    else if ((uint64_t)st.st_size > max)
        why = "file too large";
    if (why) {
        close(fd);
        return config_fail(err, errlen, "cannot read %s %s: %s", what, path, why);
    }
    size_t cap = (size_t)st.st_size + 1, len = 0;
    char *buf = util_malloc(cap);
    for (;;) {
        ssize_t r = read(fd, buf + len, cap - 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            free(buf);
            return config_fail(err, errlen, "cannot read %s %s: %s", what, path, strerror(e));
        }
        len += (size_t)r;
        if (r == 0 || len == cap - 1)
            break;
    }
    close(fd);
    buf[len] = '\0';
    *out = buf;
    *outlen = len;
    *mode = st.st_mode;
    return 0;
}

static int load_yaml_source(struct config *c, const struct cli *o, char *err, size_t errlen)
{
    /* As livekit-server: a config body (flag, then LIVEKIT_CONFIG) wins over --config. */
    if (o->config_body)
        return config_apply_yaml(c, o->config_body, strlen(o->config_body), "--config-body", err, errlen);
    const char *env = getenv("LIVEKIT_CONFIG");
    if (env && *env)
        return config_apply_yaml(c, env, strlen(env), "LIVEKIT_CONFIG", err, errlen);
    if (!o->config)
        return 0;
    char *text;
    size_t len;
    mode_t mode;
    int rc = read_file(o->config, "config file", CONFIG_FILE_MAX, &text, &len, &mode, err, errlen);
    if (rc)
        return rc;
    free(c->config_path);
    c->config_path = util_strdup(o->config);
    rc = config_apply_yaml(c, text, len, o->config, err, errlen);
    free(text);
    return rc;
}

static void replace_keys(struct config *c, struct config_key *keys, size_t n)
{
    config_keys_free(c->keys, c->n_keys);
    c->keys = keys;
    c->n_keys = n;
}

/* The flag's value, else the environment variable's if set and non-empty. */
static const char *flag_or_env(const char *flag, const char *env, const char **source, const char *flagname)
{
    *source = flagname;
    if (flag)
        return flag;
    const char *v = getenv(env);
    *source = env;
    return v && *v ? v : NULL;
}

static int apply_keys_opt(struct config *c, const struct cli *o, char *err, size_t errlen)
{
    const char *src;
    const char *keys = flag_or_env(o->keys, "LIVEKIT_KEYS", &src, "--keys");
    if (!keys)
        return 0;
    struct config_key *list;
    size_t n;
    int rc = config_keys_from_yaml(keys, strlen(keys), src, &list, &n, err, errlen);
    if (rc)
        return rc;
    replace_keys(c, list, n);
    return 0;
}

static int apply_net_opts(struct config *c, const struct cli *o, char *err, size_t errlen)
{
    const char *src, *v;
    char q[64];
    bool range;
    uint64_t port;
    if ((v = flag_or_env(o->node_ip, "NODE_IP", &src, "--node-ip"))) {
        if (!config_node_ip_valid(v))
            return config_fail(err, errlen, "%s: expected an IP address (or \"v4,v6\"), got %s", src,
                               (config_quote(q, sizeof q, v, strlen(v)), q));
        free(c->rtc.node_ip);
        c->rtc.node_ip = util_strdup(v);
    }
    if ((v = flag_or_env(o->udp_port, "UDP_PORT", &src, "--udp-port"))) {
        if (config_parse_udp_port(v, &c->rtc.udp_port, &range))
            return config_fail(err, errlen, "%s: expected an integer between 1 and 65535, got %s", src,
                               (config_quote(q, sizeof q, v, strlen(v)), q));
        if (range)
            LOGW("config", "dcsfu uses one UDP port; using the first port of the range", "source=%s port=%d",
                 src, c->rtc.udp_port);
    }
    if (o->port) {
        if (config_parse_uint(o->port, 1, 65535, &port))
            return config_fail(err, errlen, "--port: expected an integer between 1 and 65535, got %s",
                               (config_quote(q, sizeof q, o->port, strlen(o->port)), q));
        c->port = (int)port;
    }
    if (o->drain) {
        if (config_parse_uint(o->drain, 0, UINT32_MAX, &port))
            return config_fail(err, errlen, "--drain-timeout: expected a number of seconds, got %s",
                               (config_quote(q, sizeof q, o->drain, strlen(o->drain)), q));
        c->shutdown.drain_timeout = (uint32_t)port;
    }
    for (size_t i = 0; i < o->n_bind; i++)
        if (!config_ip_valid(o->bind[i]))
            return config_fail(err, errlen, "--bind: expected an IP address, got %s",
                               (config_quote(q, sizeof q, o->bind[i], strlen(o->bind[i])), q));
    if (o->n_bind) {
        for (size_t i = 0; i < c->n_bind_addresses; i++)
            free(c->bind_addresses[i]);
        free(c->bind_addresses);
        c->bind_addresses = util_calloc(o->n_bind, sizeof *c->bind_addresses);
        for (size_t i = 0; i < o->n_bind; i++)
            c->bind_addresses[i] = util_strdup(o->bind[i]);
        c->n_bind_addresses = o->n_bind;
    }
    return 0;
}

static int apply_cli(struct config *c, const struct cli *o, char *err, size_t errlen)
{
    const char *src, *region;
    if (o->dev >= 0)
        c->development = o->dev;
    if (o->key_file) {
        free(c->key_file);
        c->key_file = *o->key_file ? util_strdup(o->key_file) : NULL;
    }
    if ((region = flag_or_env(o->region, "LIVEKIT_REGION", &src, "--region"))) {
        free(c->region);
        c->region = util_strdup(region);
    }
    int rc = apply_keys_opt(c, o, err, errlen);
    return rc ? rc : apply_net_opts(c, o, err, errlen);
}

static int load_key_file(struct config *c, char *err, size_t errlen)
{
    if (!c->key_file)
        return 0;
    char path[4096];
    const char *home = getenv("HOME");
    if (!strncmp(c->key_file, "~/", 2) && home)
        snprintf(path, sizeof path, "%s%s", home, c->key_file + 1);
    else
        snprintf(path, sizeof path, "%s", c->key_file);
    char *text;
    size_t len;
    mode_t mode;
    int rc = read_file(path, "key file", KEY_FILE_MAX, &text, &len, &mode, err, errlen);
    if (rc)
        return rc;
    if (mode & 077) {
        free(text);
        return config_fail(err, errlen,
                           "key file %s: key file others permissions must be set to 0 (mode is %03o; "
                           "use chmod 600)",
                           path, (unsigned)(mode & 0777));
    }
    struct config_key *keys;
    size_t n;
    rc = config_keys_from_yaml(text, len, path, &keys, &n, err, errlen);
    free(text);
    if (!rc)
        replace_keys(c, keys, n);
    return rc;
}

/* tls.cert_file and tls.key_file: both or neither, readable, PEM; the key
 * not open to others (group read, as with Debian's ssl-cert group, is fine). */
static int load_tls_files(struct config *c, char *err, size_t errlen)
{
    struct config_tls *t = &c->tls;
    if (!t->cert_file && !t->key_file)
        return 0;
    if (!t->cert_file || !t->key_file)
        return config_fail(err, errlen, "tls.cert_file and tls.key_file must be set together (%s is missing)",
                           t->cert_file ? "tls.key_file" : "tls.cert_file");
    mode_t mode;
    int rc = read_file(t->cert_file, "tls.cert_file", TLS_FILE_MAX, &t->cert_pem, &t->cert_pem_len,
                       &mode, err, errlen);
    if (rc)
        return rc;
    if (!strstr(t->cert_pem, "-----BEGIN CERTIFICATE-----"))
        return config_fail(err, errlen, "tls.cert_file %s: no PEM certificate in it", t->cert_file);
    rc = read_file(t->key_file, "tls.key_file", TLS_FILE_MAX, &t->key_pem, &t->key_pem_len, &mode, err,
                   errlen);
    if (rc)
        return rc;
    if (mode & 007)
        return config_fail(err, errlen,
                           "tls.key_file %s: others may access it (mode is %03o; use chmod 600 or 640)",
                           t->key_file, (unsigned)(mode & 0777));
    if (!strstr(t->key_pem, "PRIVATE KEY-----"))
        return config_fail(err, errlen, "tls.key_file %s: no PEM private key in it", t->key_file);
    return 0;
}

static int validate(struct config *c, char *err, size_t errlen)
{
    if (c->n_keys == 0)
        return config_fail(err, errlen,
                           "one of key-file or keys must be provided (--dev uses the key \"%s\")",
                           CONFIG_DEV_KEY);
    if (c->webhook.n_urls && !c->webhook.api_key)
        return config_fail(err, errlen, "webhook.api_key is required when webhook.urls is set");
    if (c->webhook.api_key && !config_secret_for(c, c->webhook.api_key))
        return config_fail(err, errlen, "webhook.api_key: %.64s is not one of the configured keys",
                           c->webhook.api_key);
    if (c->rtc.tcp_port == c->port)
        return config_fail(err, errlen, "rtc.tcp_port and port must differ (both are %d)", c->port);
    if (c->prometheus_port && (c->prometheus_port == c->port || c->prometheus_port == c->rtc.tcp_port))
        return config_fail(err, errlen, "prometheus.port %d is already used by port or rtc.tcp_port",
                           c->prometheus_port);
    for (size_t i = 0; i < c->n_keys && !c->development; i++)
        if (strlen(c->keys[i].secret) < 32)
            LOGW("config", "secret is too short, should be at least 32 characters", "api_key=%s",
                 c->keys[i].key);
    return 0;
}

int config_setup(struct config *c, int argc, char **argv, enum config_action *action, char *err,
                 size_t errlen)
{
    return config_setup_with(c, argc, argv, NULL, action, err, errlen);
}

int config_setup_with(struct config *c, int argc, char **argv, const struct config_extra *extra,
                      enum config_action *action, char *err, size_t errlen)
{
    enum config_action dummy;
    if (!action)
        action = &dummy;
    *action = CONFIG_RUN;
    if (err && errlen)
        err[0] = '\0';
    config_defaults(c);
    struct cli o = {.dev = -1};
    o.bind = util_calloc(argc > 0 ? (size_t)argc : 1, sizeof *o.bind);
    int rc = parse_args(argc, argv, extra, &o, action, err, errlen);
    if (rc == 1) {
        free(o.bind);
        return 0;
    }
    c->logging.level = LEVEL_UNSET;
    if (!rc)
        rc = load_yaml_source(c, &o, err, errlen);
    if (!rc)
        rc = apply_cli(c, &o, err, errlen);
    if (!rc)
        rc = load_key_file(c, err, errlen);
    if (!rc)
        rc = load_tls_files(c, err, errlen);
    if (!rc && c->development && c->n_keys == 0)
        config_keys_put(&c->keys, &c->n_keys, CONFIG_DEV_KEY, CONFIG_DEV_SECRET);
    if (c->logging.level == LEVEL_UNSET)
        c->logging.level = c->development ? LOG_LVL_DEBUG : LOG_LVL_INFO;
    if (!rc)
        rc = validate(c, err, errlen);
    free(o.bind);
    if (rc)
        config_free(c);
    return rc;
}
