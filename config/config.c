/* config.c: defaults, release, key lookup and the small value parsers shared
 * by the YAML loader (config/yaml.c) and the command line (config/cli.c). */
#include "config/config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "config/internal.h"

void config_defaults(struct config *c)
{
    memset(c, 0, sizeof *c);
    c->port = 7880;
    c->rtc.udp_port = 7882;
    c->rtc.tcp_port = 7881;
    c->rtc.max_pending_handshakes = 256;
    c->room.auto_create = true;
    c->room.empty_timeout = 300;
    c->room.departure_timeout = 20;
    c->room.max_participants = 0;
    c->limit.max_metadata_size = 512 * 1024;
    c->limit.max_attributes_size = 64 * 1024;
    c->limit.max_room_name_length = 256;
    c->limit.max_participant_identity_length = 256;
    c->limit.max_participant_name_length = 256;
    c->limit.signal_message_size_limit = 2 * 1024 * 1024;
    c->limit.max_api_request_body_size = 10 * 1024 * 1024;
    c->limit.max_http_header_size = 16 * 1024;
    c->limit.max_rooms = 4096;
    c->limit.max_signal_connections = 4096;
    c->limit.max_connections_per_ip_per_second = 100;
    c->limit.max_data_queue_messages = 1024;
    c->limit.max_data_queue_bytes = 4 * 1024 * 1024;
    c->limit.data_queue_full_action = CONFIG_QUEUE_FULL_RECONNECT;
    c->logging.level = LOG_LVL_INFO;
    c->logging.json = false;
    c->shutdown.drain_timeout = 30;
    c->prometheus_port = 0;
    c->region = util_strdup("");
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void config_free(struct config *c)
{
    if (!c)
        return;
    free_strv(c->bind_addresses, c->n_bind_addresses);
    config_keys_free(c->keys, c->n_keys);
    free(c->key_file);
    free(c->rtc.node_ip);
    free(c->webhook.api_key);
    free_strv(c->webhook.urls, c->webhook.n_urls);
    free(c->region);
    free(c->config_path);
    free(c->tls.cert_file);
    free(c->tls.key_file);
    free(c->tls.cert_pem);
    if (c->tls.key_pem)
        explicit_bzero(c->tls.key_pem, c->tls.key_pem_len);
    free(c->tls.key_pem);
    memset(c, 0, sizeof *c);
}

int config_reload(struct config *live, int argc, char **argv, char *err, size_t errlen)
{
    struct config fresh;
    enum config_action action;
    int rc = config_setup(&fresh, argc, argv, &action, err, errlen);
    if (rc < 0)
        return rc;
    struct config_key *old_keys = live->keys;
    size_t old_n = live->n_keys;
    live->keys = fresh.keys;
    live->n_keys = fresh.n_keys;
    fresh.keys = old_keys;
    fresh.n_keys = old_n;
    char *old_file = live->key_file;
    live->key_file = fresh.key_file;
    fresh.key_file = old_file;
    live->logging = fresh.logging;
    struct config_tls old_tls = live->tls;
    live->tls = fresh.tls;
    fresh.tls = old_tls;
    config_free(&fresh);
    return 0;
}

const char *config_secret_for(const struct config *c, const char *api_key)
{
    if (!c || !api_key)
        return NULL;
    for (size_t i = 0; i < c->n_keys; i++)
        if (!strcmp(c->keys[i].key, api_key))
            return c->keys[i].secret;
    return NULL;
}

void config_keys_free(struct config_key *keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(keys[i].key);
        free(keys[i].secret);
    }
    free(keys);
}

void config_keys_put(struct config_key **keys, size_t *n, const char *key, const char *secret)
{
    for (size_t i = 0; i < *n; i++) {
        if (!strcmp((*keys)[i].key, key)) {
            free((*keys)[i].secret);
            (*keys)[i].secret = util_strdup(secret);
            return;
        }
    }
    *keys = util_realloc(*keys, (*n + 1) * sizeof **keys);
    (*keys)[*n].key = util_strdup(key);
    (*keys)[*n].secret = util_strdup(secret);
    (*n)++;
}

int config_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return DC_ECONFIG;
}

void config_quote(char *out, size_t outlen, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const size_t show = 40;
    size_t o = 0;
    if (outlen < 8) {
        if (outlen)
            out[0] = '\0';
        return;
    }
    out[o++] = '"';
    for (size_t i = 0; i < len && i < show && o + 6 < outlen; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            out[o++] = '\\';
            out[o++] = (char)ch;
        } else if (ch < 0x20 || ch >= 0x7f) {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[ch >> 4];
            out[o++] = hex[ch & 15];
        } else {
            out[o++] = (char)ch;
        }
    }
    if (len > show && o + 5 < outlen) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o++] = '"';
    out[o] = '\0';
}

int config_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (!s || !*s)
        return -1;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int config_parse_udp_port(const char *s, int *out, bool *is_range)
{
    uint64_t a, b;
    *is_range = false;
    const char *dash = s ? strchr(s, '-') : NULL;
    if (!dash) {
        if (config_parse_uint(s, 1, 65535, &a))
            return -1;
        *out = (int)a;
        return 0;
    }
    char first[8];
    size_t n = (size_t)(dash - s);
    if (n == 0 || n >= sizeof first)
        return -1;
    memcpy(first, s, n);
    first[n] = '\0';
    if (config_parse_uint(first, 1, 65535, &a) || config_parse_uint(dash + 1, a, 65535, &b))
        return -1;
    *out = (int)a;
    *is_range = true;
    return 0;
}

bool config_ip_valid(const char *s)
{
    unsigned char buf[16];
    return s && (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1);
}

bool config_node_ip_valid(const char *s)
{
    const char *comma = s ? strchr(s, ',') : NULL;
    if (!comma)
        return config_ip_valid(s);
    char first[64];
    size_t n = (size_t)(comma - s);
    if (n >= sizeof first)
        return false;
    memcpy(first, s, n);
    first[n] = '\0';
    return config_ip_valid(first) && config_ip_valid(comma + 1);
}
