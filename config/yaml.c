/* yaml.c: applies a livekit.yaml document to a struct config.
 *
 * The document is loaded with libyaml's document API and walked against a
 * table of honoured keys (below).  Keys that are not in the table get one
 * warning each and are skipped together with everything beneath them. */
#include "config/config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "config/internal.h"

enum ktype {
    K_SECTION, /* nested mapping, see `sub` */
    K_PORT,    /* int 1..65535 */
    K_PORT0,   /* int 0..65535, 0 = off */
    K_UDP_PORT,
    K_U32,
    K_U64,
    K_BOOL,
    K_STR,     /* char *, "" kept */
    K_OPTSTR,  /* char *, "" means unset (NULL) */
    K_NODE_IP, /* like K_OPTSTR, validated */
    K_BIND,    /* char ** + count, IP literals */
    K_URLS,    /* char ** + count, http(s) URLs */
    K_KEYS,
    K_LEVEL,
    K_SCTP,    /* int: "native" or "usrsctp" */
    K_QFULL,   /* int: "reconnect" or "drop" */
};

struct ckey {
    const char *name;
    enum ktype type;
    size_t off;   /* the field in struct config */
    size_t off_n; /* K_BIND, K_URLS: the count field */
    const struct ckey *sub;
};

#define F(name, type, field) {name, type, offsetof(struct config, field), 0, NULL}
#define L(name, type, field, nfield) \
    {name, type, offsetof(struct config, field), offsetof(struct config, nfield), NULL}
#define S(name, table) {name, K_SECTION, 0, 0, table}

static const struct ckey rtc_keys[] = {
    F("udp_port", K_UDP_PORT, rtc.udp_port),
    F("tcp_port", K_PORT0, rtc.tcp_port),
    F("node_ip", K_NODE_IP, rtc.node_ip),
    F("sctp", K_SCTP, rtc.sctp),
    F("max_pending_handshakes", K_U32, rtc.max_pending_handshakes),
    {0},
};

static const struct ckey room_keys[] = {
    F("auto_create", K_BOOL, room.auto_create),
    F("empty_timeout", K_U32, room.empty_timeout),
    F("departure_timeout", K_U32, room.departure_timeout),
    F("max_participants", K_U32, room.max_participants),
    {0},
};

static const struct ckey limit_keys[] = {
    F("max_metadata_size", K_U32, limit.max_metadata_size),
    F("max_attributes_size", K_U32, limit.max_attributes_size),
    F("max_room_name_length", K_U32, limit.max_room_name_length),
    F("max_participant_identity_length", K_U32, limit.max_participant_identity_length),
    F("max_participant_name_length", K_U32, limit.max_participant_name_length),
    F("signal_message_size_limit", K_U64, limit.signal_message_size_limit),
    F("max_api_request_body_size", K_U64, limit.max_api_request_body_size),
    F("max_http_header_size", K_U32, limit.max_http_header_size),
    F("max_rooms", K_U32, limit.max_rooms),
    F("max_signal_connections", K_U32, limit.max_signal_connections),
    F("max_connections_per_ip_per_second", K_U32, limit.max_connections_per_ip_per_second),
    /* each receiver's reliable data queue */
    F("max_data_queue_messages", K_U32, limit.max_data_queue_messages),
    F("max_data_queue_bytes", K_U64, limit.max_data_queue_bytes),
    F("data_queue_full_action", K_QFULL, limit.data_queue_full_action),
    {0},
};

static const struct ckey logging_keys[] = {
    F("level", K_LEVEL, logging.level),
    F("json", K_BOOL, logging.json),
    {0},
};

static const struct ckey webhook_keys[] = {
    F("api_key", K_OPTSTR, webhook.api_key),
    L("urls", K_URLS, webhook.urls, webhook.n_urls),
    {0},
};

static const struct ckey shutdown_keys[] = {
    F("drain_timeout", K_U32, shutdown.drain_timeout),
    {0},
};

static const struct ckey tls_keys[] = {
    F("cert_file", K_OPTSTR, tls.cert_file),
    F("key_file", K_OPTSTR, tls.key_file),
    {0},
};

static const struct ckey prometheus_keys[] = {
    F("port", K_PORT0, prometheus_port),
    {0},
};

static const struct ckey top_keys[] = {
    F("port", K_PORT, port),
    L("bind_addresses", K_BIND, bind_addresses, n_bind_addresses),
    {"keys", K_KEYS, 0, 0, NULL},
    F("key_file", K_OPTSTR, key_file),
    F("development", K_BOOL, development),
    S("rtc", rtc_keys),
    S("room", room_keys),
    S("limit", limit_keys),
    S("logging", logging_keys),
    F("log_level", K_LEVEL, logging.level), /* LiveKit's deprecated spelling */
    S("webhook", webhook_keys),
    S("shutdown", shutdown_keys),
    S("prometheus", prometheus_keys),
    S("tls", tls_keys), /* dcsfu's own */
    F("prometheus_port", K_PORT0, prometheus_port), /* deprecated spelling */
    F("region", K_STR, region),
    {0},
};

struct yctx {
    struct config *c;
    yaml_document_t *doc;
    const char *source;
    char *err;
    size_t errlen;
};

static size_t line_of(const yaml_node_t *n)
{
    return n->start_mark.line + 1;
}

static bool is_null(const yaml_node_t *n)
{
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *s = (const char *)n->data.scalar.value;
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

/* The scalar's text, or NULL if n is not a scalar or holds a NUL byte. */
static const char *scalar(const yaml_node_t *n)
{
    if (n->type != YAML_SCALAR_NODE)
        return NULL;
    const char *s = (const char *)n->data.scalar.value;
    return strlen(s) == n->data.scalar.length ? s : NULL;
}

static const char *describe(const yaml_node_t *n, char *buf, size_t len)
{
    if (n->type == YAML_SEQUENCE_NODE)
        return "a list";
    if (n->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (n->type != YAML_SCALAR_NODE)
        return "nothing";
    config_quote(buf, len, (const char *)n->data.scalar.value, n->data.scalar.length);
    return buf;
}

static const char *expected(enum ktype t)
{
    switch (t) {
    case K_SECTION: return "a mapping";
    case K_PORT: return "an integer between 1 and 65535";
    case K_PORT0: return "an integer between 0 and 65535";
    case K_UDP_PORT: return "an integer between 1 and 65535";
    case K_U32: return "an integer between 0 and 4294967295";
    case K_U64: return "an integer between 0 and 18446744073709551615";
    case K_BOOL: return "true or false";
    case K_STR:
    case K_OPTSTR: return "a string";
    case K_NODE_IP: return "an IP address (or \"v4,v6\")";
    case K_BIND: return "a list of IP addresses";
    case K_URLS: return "a list of http:// or https:// URLs";
    case K_KEYS: return "a mapping of API key to secret";
    case K_LEVEL: return "one of debug, info, warn, error";
    case K_SCTP: return "native or usrsctp";
    case K_QFULL: return "reconnect or drop";
    }
    return "a value";
}

static int bad(struct yctx *x, const yaml_node_t *n, const char *path, const char *what)
{
    char got[64];
    return config_fail(x->err, x->errlen, "%s:%zu: %s: expected %s, got %s", x->source, line_of(n), path,
                       what, describe(n, got, sizeof got));
}

static int parse_bool(const char *s)
{
    static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no", "off"};
    for (size_t i = 0; i < 3; i++) {
        if (!strcasecmp(s, yes[i]))
            return 1;
        if (!strcasecmp(s, no[i]))
            return 0;
    }
    return -1;
}

static void set_str(char **field, const char *s)
{
    free(*field);
    *field = s ? util_strdup(s) : NULL;
}

static int apply_number(struct yctx *x, const struct ckey *k, const yaml_node_t *v, const char *s,
                        const char *path)
{
    void *field = (char *)x->c + k->off;
    uint64_t u;
    int port;
    bool range;
    switch (k->type) {
    case K_PORT:
    case K_PORT0:
        if (config_parse_uint(s, k->type == K_PORT ? 1 : 0, 65535, &u))
            return bad(x, v, path, expected(k->type));
        *(int *)field = (int)u;
        return 0;
    case K_UDP_PORT:
        if (config_parse_udp_port(s, &port, &range))
            return bad(x, v, path, expected(k->type));
        if (range)
            LOGW("config", "dcsfu uses one UDP port; using the first port of the range",
                 "source=%s line=%zu key=%s port=%d", x->source, line_of(v), path, port);
        *(int *)field = port;
        return 0;
    case K_U32:
        if (config_parse_uint(s, 0, UINT32_MAX, &u))
            return bad(x, v, path, expected(k->type));
        *(uint32_t *)field = (uint32_t)u;
        return 0;
    default:
        if (config_parse_uint(s, 0, UINT64_MAX, &u))
            return bad(x, v, path, expected(k->type));
        *(uint64_t *)field = u;
        return 0;
    }
}

static int apply_scalar(struct yctx *x, const struct ckey *k, const yaml_node_t *v, const char *path)
{
    const char *s = scalar(v);
    if (!s)
        return bad(x, v, path, expected(k->type));
    void *field = (char *)x->c + k->off;
    int n;
    switch (k->type) {
    case K_BOOL:
        if ((n = parse_bool(s)) < 0)
            return bad(x, v, path, expected(k->type));
        *(bool *)field = n;
        return 0;
    case K_LEVEL:
        if ((n = log_level_parse(s)) < 0)
            return bad(x, v, path, expected(k->type));
        *(int *)field = n;
        return 0;
    case K_SCTP:
        if (strcmp(s, "native") && strcmp(s, "usrsctp"))
            return bad(x, v, path, expected(k->type));
        *(int *)field = strcmp(s, "native") ? CONFIG_SCTP_USRSCTP : CONFIG_SCTP_NATIVE;
        return 0;
    case K_QFULL:
        if (strcmp(s, "reconnect") && strcmp(s, "drop"))
            return bad(x, v, path, expected(k->type));
        *(int *)field = strcmp(s, "drop") ? CONFIG_QUEUE_FULL_RECONNECT : CONFIG_QUEUE_FULL_DROP;
        return 0;
    case K_STR:
        set_str(field, s);
        return 0;
    case K_NODE_IP:
        if (*s && !config_node_ip_valid(s))
            return bad(x, v, path, expected(k->type));
        /* fall through */
    case K_OPTSTR:
        set_str(field, *s ? s : NULL);
        return 0;
    default:
        return apply_number(x, k, v, s, path);
    }
}

static bool url_valid(const char *s)
{
    return (!strncasecmp(s, "http://", 7) && s[7]) || (!strncasecmp(s, "https://", 8) && s[8]);
}

static int apply_list(struct yctx *x, const struct ckey *k, yaml_node_t *v, const char *path)
{
    if (v->type != YAML_SEQUENCE_NODE)
        return bad(x, v, path, expected(k->type));
    size_t cnt = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    char **list = util_calloc(cnt ? cnt : 1, sizeof *list);
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *item = yaml_document_get_node(x->doc, v->data.sequence.items.start[i]);
        const char *s = scalar(item);
        bool ok = s && (k->type == K_BIND ? config_ip_valid(s) : url_valid(s));
        if (!ok) {
            for (size_t j = 0; j < i; j++)
                free(list[j]);
            free(list);
            char p[160];
            snprintf(p, sizeof p, "%s[%zu]", path, i);
            return bad(x, item, p, k->type == K_BIND ? "an IP address" : "an http:// or https:// URL");
        }
        list[i] = util_strdup(s);
    }
    char ***field = (char ***)((char *)x->c + k->off);
    size_t *nfield = (size_t *)((char *)x->c + k->off_n);
    for (size_t j = 0; j < *nfield; j++)
        free((*field)[j]);
    free(*field);
    *field = list;
    *nfield = cnt;
    return 0;
}

/* Builds a key list from a mapping node; never echoes secrets in messages. */
static int keys_from_map(yaml_document_t *doc, yaml_node_t *map, const char *source,
                         struct config_key **out, size_t *nout, char *err, size_t errlen)
{
    struct config_key *keys = NULL;
    size_t n = 0;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(doc, p->key);
        yaml_node_t *vn = yaml_document_get_node(doc, p->value);
        const char *key = scalar(kn), *secret = scalar(vn);
        int rc = 0;
        if (!key || !*key || is_null(kn))
            rc = config_fail(err, errlen, "%s:%zu: keys: API keys must be non-empty strings", source,
                             line_of(kn));
        else if (!secret || !*secret || is_null(vn))
            rc = config_fail(err, errlen, "%s:%zu: keys: the secret of API key %.64s must be a non-empty string",
                             source, line_of(vn), key);
        if (rc) {
            config_keys_free(keys, n);
            return rc;
        }
        config_keys_put(&keys, &n, key, secret);
    }
    *out = keys;
    *nout = n;
    return 0;
}

static int apply_keys(struct yctx *x, yaml_node_t *v, const char *path)
{
    if (v->type != YAML_MAPPING_NODE)
        return config_fail(x->err, x->errlen, "%s:%zu: %s: expected %s (\"key: secret\")", x->source,
                           line_of(v), path, expected(K_KEYS));
    struct config_key *keys;
    size_t n;
    int rc = keys_from_map(x->doc, v, x->source, &keys, &n, x->err, x->errlen);
    if (rc)
        return rc;
    config_keys_free(x->c->keys, x->c->n_keys);
    x->c->keys = keys;
    x->c->n_keys = n;
    return 0;
}

static int apply_map(struct yctx *x, yaml_node_t *map, const struct ckey *table, const char *prefix);

static int apply_value(struct yctx *x, const struct ckey *k, yaml_node_t *v, const char *path)
{
    if (is_null(v))
        return 0;
    switch (k->type) {
    case K_SECTION:
        if (v->type != YAML_MAPPING_NODE)
            return bad(x, v, path, expected(k->type));
        return apply_map(x, v, k->sub, path);
    case K_BIND:
    case K_URLS:
        return apply_list(x, k, v, path);
    case K_KEYS:
        return apply_keys(x, v, path);
    default:
        return apply_scalar(x, k, v, path);
    }
}

/* Key paths end up in messages and logs: keep them short and printable. */
static void make_path(char *out, size_t len, const char *prefix, const char *name)
{
    snprintf(out, len, "%s%s%s", prefix, *prefix ? "." : "", name);
    for (char *p = out; *p; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || *p == '"' || *p == '\\')
            *p = '?';
}

static int apply_map(struct yctx *x, yaml_node_t *map, const struct ckey *table, const char *prefix)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(x->doc, p->key);
        yaml_node_t *vn = yaml_document_get_node(x->doc, p->value);
        const char *name = scalar(kn);
        if (!name)
            return config_fail(x->err, x->errlen, "%s:%zu: %s%skeys must be strings", x->source,
                               line_of(kn), prefix, *prefix ? ": " : "");
        char path[128];
        make_path(path, sizeof path, prefix, name);
        const struct ckey *k = table;
        while (k->name && strcmp(k->name, name))
            k++;
        if (!k->name) {
            LOGW("config", "ignoring unknown or unsupported config key", "source=%s line=%zu key=%s",
                 x->source, line_of(kn), path);
            continue;
        }
        int rc = apply_value(x, k, vn, path);
        if (rc)
            return rc;
    }
    return 0;
}

static int load(const char *text, size_t len, const char *source, yaml_document_t *doc, char *err,
                size_t errlen)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return config_fail(err, errlen, "%s: out of memory", source);
    yaml_parser_set_input_string(&p, (const unsigned char *)(text ? text : ""), text ? len : 0);
    int ok = yaml_parser_load(&p, doc);
    int rc = 0;
    if (!ok) {
        const char *problem = p.problem ? p.problem : "out of memory";
        /* At the end of input libyaml reports the line after the last one. */
        size_t lines = 0;
        for (size_t i = 0; text && i < len; i++)
            lines += text[i] == '\n' || i + 1 == len;
        size_t line = p.problem_mark.line + 1;
        if (line > lines && lines > 0)
            line = lines;
        rc = config_fail(err, errlen, "%s:%zu: invalid YAML: %s%s%s", source, line,
                         p.context ? p.context : "", p.context ? ", " : "", problem);
    }
    yaml_parser_delete(&p);
    return rc;
}

int config_apply_yaml(struct config *c, const char *text, size_t len, const char *source, char *err,
                      size_t errlen)
{
    yaml_document_t doc;
    if (!source)
        source = "config";
    int rc = load(text, len, source, &doc, err, errlen);
    if (rc)
        return rc;
    struct yctx x = {c, &doc, source, err, errlen};
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root && !is_null(root)) {
        if (root->type != YAML_MAPPING_NODE)
            rc = config_fail(err, errlen, "%s:%zu: expected a mapping of configuration keys, got %s",
                             source, line_of(root), root->type == YAML_SEQUENCE_NODE ? "a list" : "a scalar");
        else
            rc = apply_map(&x, root, top_keys, "");
    }
    yaml_document_delete(&doc);
    return rc;
}

int config_keys_from_yaml(const char *text, size_t len, const char *source, struct config_key **keys,
                          size_t *n, char *err, size_t errlen)
{
    yaml_document_t doc;
    int rc = load(text, len, source, &doc, err, errlen);
    if (rc)
        return rc;
    *keys = NULL;
    *n = 0;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root && !is_null(root)) {
        if (root->type != YAML_MAPPING_NODE)
            rc = config_fail(err, errlen, "%s:%zu: expected %s, written \"key: secret\" (note the space)",
                             source, line_of(root), expected(K_KEYS));
        else
            rc = keys_from_map(&doc, root, source, keys, n, err, errlen);
    }
    yaml_document_delete(&doc);
    return rc;
}
