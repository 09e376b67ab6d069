#include "signaling/joinreq.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/b64.h"
#include "common/err.h"
#include "common/util.h"
#include "signaling/query.h"

/* Allowance for the wrapper and gzip framing around a JoinRequest that is
 * itself at most max_bytes long. */
#define JOINREQ_OVERHEAD 64

static int fail(int code, const char *msg, const char **why)
{
    if (why)
        *why = msg;
    return code;
}

/* ------------------------------------------------------------ UTF-8 check */

static bool msg_utf8_ok(const ProtobufCMessage *m);

/* Checks one value of field `f` stored at `p`. */
static bool value_utf8_ok(const ProtobufCFieldDescriptor *f, const void *p)
{
    if (f->type == PROTOBUF_C_TYPE_STRING) {
        const char *s = *(char *const *)p;
        return !s || util_utf8_valid((const uint8_t *)s, strlen(s));
    }
    if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;
        return !sub || msg_utf8_ok(sub);
    }
    return true;
}

/* Walks every string of a decoded message, nested messages included.  The
 * schema has no recursive message types, so the depth is bounded. */
static bool msg_utf8_ok(const ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        const char *base = (const char *)m;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + f->quantifier_offset);
            const void *const *arr = *(const void *const *const *)(base + f->offset);
            for (size_t j = 0; j < n; j++)
                if (!value_utf8_ok(f, &arr[j]))
                    return false;
            continue;
        }
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(const uint32_t *)(base + f->quantifier_offset) != f->id)
            continue;
        if (!value_utf8_ok(f, base + f->offset))
            return false;
    }
    return true;
}

/* ------------------------------------------------------------ gunzip */

/* Inflates the gzip stream in[0..n) into a malloc'd buffer of at most `max`
 * bytes.  Returns 0, DC_ETOOBIG or DC_EINVAL. */
static int gunzip_bounded(const uint8_t *in, size_t n, size_t max, uint8_t **out, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        return DC_ENOMEM;
    size_t cap = n < max / 4 ? n * 4 + 64 : max;
    if (cap > max)
        cap = max;
    uint8_t *buf = util_malloc(cap ? cap : 1);
    size_t used = 0;
    int rc = DC_EINVAL;
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    for (;;) {
        uint8_t probe;
        bool probing = false;
        if (used == cap && cap < max) {
            cap = cap > max / 2 ? max : cap * 2;
            buf = util_realloc(buf, cap);
        }
        if (used == cap) {
            /* Full at the limit: any further output means too large. */
            probing = true;
            zs.next_out = &probe;
            zs.avail_out = 1;
        } else {
            zs.next_out = buf + used;
            zs.avail_out = (uInt)(cap - used);
        }
        uInt before = zs.avail_out;
        int z = inflate(&zs, Z_NO_FLUSH);
        if (probing && zs.avail_out == 0) {
            rc = DC_ETOOBIG;
            break;
        }
        if (!probing)
            used += before - zs.avail_out;
        if (z == Z_STREAM_END) {
            rc = zs.avail_in == 0 ? 0 : DC_EINVAL; /* no trailing bytes */
            break;
        }
        if (z != Z_OK && !(z == Z_BUF_ERROR && zs.avail_in > 0))
            break; /* corrupt or truncated */
        if (z == Z_OK && zs.avail_in == 0 && zs.avail_out > 0)
            break; /* input ended before the stream did */
    }
    inflateEnd(&zs);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    *out = buf;
    *out_len = used;
    return 0;
}

/* ------------------------------------------------------------ v1 */

/* Unpacks and checks a serialized JoinRequest. */
static int unpack_join(const uint8_t *p, size_t n, Livekit__JoinRequest **out, const char **why)
{
    Livekit__JoinRequest *jr = livekit__join_request__unpack(NULL, n, p);
    if (!jr)
        return fail(DC_EINVAL, "cannot unmarshal join request", why);
    if (!msg_utf8_ok(&jr->base)) {
        livekit__join_request__free_unpacked(jr, NULL);
        return fail(DC_EINVAL, "cannot unmarshal join request", why);
    }
    *out = jr;
    return 0;
}

static int unwrap(const Livekit__WrappedJoinRequest *w, size_t max_bytes, Livekit__JoinRequest **out,
                  const char **why)
{
    const ProtobufCBinaryData *b = &w->join_request;
    if (w->compression == LIVEKIT__WRAPPED_JOIN_REQUEST__COMPRESSION__NONE) {
        if (b->len > max_bytes)
            return fail(DC_ETOOBIG, "join request too large", why);
        return unpack_join(b->data, b->len, out, why);
    }
    if (w->compression != LIVEKIT__WRAPPED_JOIN_REQUEST__COMPRESSION__GZIP)
        return fail(DC_EINVAL, "unsupported join request compression", why);
    uint8_t *raw = NULL;
    size_t raw_len = 0;
    int rc = gunzip_bounded(b->data, b->len, max_bytes, &raw, &raw_len);
    if (rc == DC_ETOOBIG)
        return fail(rc, "join request too large", why);
    if (rc != 0)
        return fail(rc, "cannot decompress join request", why);
    rc = unpack_join(raw, raw_len, out, why);
    free(raw);
    return rc;
}

int joinreq_decode_v1(const char *param, size_t len, size_t max_bytes, Livekit__JoinRequest **out,
                      const char **why)
{
    *out = NULL;
    if (!param || len == 0)
        return fail(DC_EINVAL, "join_request is required", why);
    if (len / 4 * 3 > max_bytes + JOINREQ_OVERHEAD)
        return fail(DC_ETOOBIG, "join request too large", why);
    uint8_t *bin = util_malloc(b64_decoded_max(len));
    long n = b64_decode(param, len, bin);
    if (n < 0) {
        free(bin);
        return fail(DC_EINVAL, "cannot base64 decode wrapped join request", why);
    }
    Livekit__WrappedJoinRequest *w = livekit__wrapped_join_request__unpack(NULL, (size_t)n, bin);
    free(bin);
    if (!w)
        return fail(DC_EINVAL, "cannot unmarshal wrapped join request", why);
    int rc = unwrap(w, max_bytes, out, why);
    livekit__wrapped_join_request__free_unpacked(w, NULL);
    return rc;
}

/* ------------------------------------------------------------ v0 */

static bool is_true(const char *v)
{
    return v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
}

/* Parses a base-10 int32; anything else is 0 (like Go's ParseInt + ignore). */
static int32_t to_i32(const char *v)
{
    if (!v || !*v)
        return 0;
    char *end;
    long long x = strtoll(v, &end, 10);
    if (*end || x < INT32_MIN || x > INT32_MAX)
        return 0;
    return (int32_t)x;
}

/* Replaces *dst (an empty default) by the parameter's value if present. */
static void take_str(const char *query, const char *name, char **dst)
{
    char *v = query_get(query, name);
    if (v)
        *dst = v;
}

static Livekit__ClientInfo__SDK sdk_from_name(const char *s)
{
    static const struct {
        const char *name;
        Livekit__ClientInfo__SDK sdk;
    } T[] = {
        {"js", LIVEKIT__CLIENT_INFO__SDK__JS},
        {"ios", LIVEKIT__CLIENT_INFO__SDK__SWIFT},
        {"swift", LIVEKIT__CLIENT_INFO__SDK__SWIFT},
        {"android", LIVEKIT__CLIENT_INFO__SDK__ANDROID},
        {"flutter", LIVEKIT__CLIENT_INFO__SDK__FLUTTER},
        {"go", LIVEKIT__CLIENT_INFO__SDK__GO},
        {"unity", LIVEKIT__CLIENT_INFO__SDK__UNITY},
        {"reactnative", LIVEKIT__CLIENT_INFO__SDK__REACT_NATIVE},
        {"rust", LIVEKIT__CLIENT_INFO__SDK__RUST},
        {"python", LIVEKIT__CLIENT_INFO__SDK__PYTHON},
        {"cpp", LIVEKIT__CLIENT_INFO__SDK__CPP},
        {"unityweb", LIVEKIT__CLIENT_INFO__SDK__UNITY_WEB},
        {"node", LIVEKIT__CLIENT_INFO__SDK__NODE},
        {"unreal", LIVEKIT__CLIENT_INFO__SDK__UNREAL},
        {"esp32", LIVEKIT__CLIENT_INFO__SDK__ESP32},
        {"dotnet", LIVEKIT__CLIENT_INFO__SDK__DOTNET},
    };
    for (size_t i = 0; s && i < sizeof T / sizeof T[0]; i++)
        if (strcmp(s, T[i].name) == 0)
            return T[i].sdk;
    return LIVEKIT__CLIENT_INFO__SDK__UNKNOWN;
}

/* "CAP_A, CAP_B" -> enum values; unknown or empty names are skipped. */
static void parse_capabilities(const char *list, Livekit__ClientInfo *ci)
{
    size_t max = 1;
    for (const char *p = list; *p; p++)
        max += *p == ',';
    ci->capabilities = util_calloc(max, sizeof *ci->capabilities);
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        const char *s = p, *e = p + n;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        char name[64];
        if (e > s && (size_t)(e - s) < sizeof name) {
            memcpy(name, s, (size_t)(e - s));
            name[e - s] = '\0';
            const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value_by_name(
                &livekit__client_info__capability__descriptor, name);
            if (v)
                ci->capabilities[ci->n_capabilities++] = (Livekit__ClientInfo__Capability)v->value;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    if (ci->n_capabilities == 0) {
        free(ci->capabilities);
        ci->capabilities = NULL;
    }
}

static Livekit__ClientInfo *client_info_from_query(const char *query)
{
    Livekit__ClientInfo *ci = util_malloc(sizeof *ci);
    livekit__client_info__init(ci);
    char *v = query_get(query, "sdk");
    ci->sdk = sdk_from_name(v);
    free(v);
    take_str(query, "version", &ci->version);
    take_str(query, "os", &ci->os);
    take_str(query, "os_version", &ci->os_version);
    take_str(query, "device_model", &ci->device_model);
    take_str(query, "browser", &ci->browser);
    take_str(query, "browser_version", &ci->browser_version);
    take_str(query, "network", &ci->network);
    v = query_get(query, "protocol");
    ci->protocol = to_i32(v);
    free(v);
    v = query_get(query, "client_protocol");
    ci->client_protocol = to_i32(v);
    free(v);
    v = query_get(query, "capabilities");
    if (v)
        parse_capabilities(v, ci);
    free(v);
    return ci;
}

static Livekit__ConnectionSettings *settings_from_query(const char *query)
{
    Livekit__ConnectionSettings *cs = util_malloc(sizeof *cs);
    livekit__connection_settings__init(cs);
    char *v = query_get(query, "auto_subscribe");
    cs->auto_subscribe = v && *v ? is_true(v) : true;
    free(v);
    v = query_get(query, "adaptive_stream");
    cs->adaptive_stream = is_true(v);
    free(v);
    v = query_get(query, "disable_ice_lite");
    cs->disable_ice_lite = is_true(v);
    free(v);
    v = query_get(query, "subscriber_allow_pause");
    if (v && *v) {
        cs->subscriber_allow_pause_opt_case =
            LIVEKIT__CONNECTION_SETTINGS__SUBSCRIBER_ALLOW_PAUSE_OPT_SUBSCRIBER_ALLOW_PAUSE;
        cs->subscriber_allow_pause = is_true(v);
    }
    free(v);
    v = query_get(query, "auto_subscribe_data_track");
    if (v && *v) {
        cs->auto_subscribe_data_track_opt_case =
            LIVEKIT__CONNECTION_SETTINGS__AUTO_SUBSCRIBE_DATA_TRACK_OPT_AUTO_SUBSCRIBE_DATA_TRACK;
        cs->auto_subscribe_data_track = is_true(v);
    }
    free(v);
    return cs;
}

/* Decodes base64(JSON object of strings) into participant_attributes. */
static int attributes_from_b64(const char *b64, Livekit__JoinRequest *jr)
{
    size_t n = strlen(b64);
    uint8_t *raw = util_malloc(b64_decoded_max(n));
    long len = b64_decode(b64, n, raw);
    json_t *obj = len < 0 ? NULL : json_loadb((const char *)raw, (size_t)len, JSON_DECODE_ANY, NULL);
    free(raw);
    if (json_is_null(obj)) {
        json_decref(obj);
        return 0;
    }
    if (!json_is_object(obj)) {
        json_decref(obj);
        return DC_EINVAL;
    }
    jr->participant_attributes = util_calloc(json_object_size(obj) + 1, sizeof(void *));
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val)
    {
        if (!json_is_string(val)) {
            json_decref(obj);
            return DC_EINVAL; /* entries so far are freed with the request */
        }
        Livekit__JoinRequest__ParticipantAttributesEntry *e = util_malloc(sizeof *e);
        livekit__join_request__participant_attributes_entry__init(e);
        e->key = util_strdup(key);
        e->value = util_strndup(json_string_value(val), json_string_length(val));
        jr->participant_attributes[jr->n_participant_attributes++] = e;
    }
    json_decref(obj);
    return 0;
}

int joinreq_from_query_v0(const char *query, Livekit__JoinRequest **out, const char **why)
{
    *out = NULL;
    if (!query)
        query = "";
    Livekit__JoinRequest *jr = util_malloc(sizeof *jr);
    livekit__join_request__init(jr);
    jr->client_info = client_info_from_query(query);
    jr->connection_settings = settings_from_query(query);
    char *v = query_get(query, "reconnect");
    jr->reconnect = is_true(v);
    free(v);
    v = query_get(query, "reconnect_reason");
    jr->reconnect_reason = (Livekit__ReconnectReason)to_i32(v);
    free(v);
    take_str(query, "sid", &jr->participant_sid);
    v = query_get(query, "attributes");
    int rc = v && *v ? attributes_from_b64(v, jr) : 0;
    free(v);
    const char *msg = "cannot decode attributes";
    if (rc == 0 && !msg_utf8_ok(&jr->base)) {
        rc = DC_EINVAL;
        msg = "invalid UTF-8 in query parameters";
    }
    if (rc != 0) {
        livekit__join_request__free_unpacked(jr, NULL);
        return fail(rc, msg, why);
    }
    *out = jr;
    return 0;
}
